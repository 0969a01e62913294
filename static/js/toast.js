// Brief notices in the corner of the screen (#toasts lives in base.html).

const TOAST_MS = 4000;
const MAX_TOASTS = 4;

/** kind: 'error' | 'info' */
export function showToast(text, kind = 'error') {
  const container = document.getElementById('toasts');
  if (!container) return;
  const toast = document.createElement('div');
  toast.className = `toast toast-${kind}`;
  toast.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  toast.textContent = text;
  container.append(toast);
  while (container.children.length > MAX_TOASTS) container.firstElementChild.remove();
  setTimeout(() => {
    toast.classList.add('toast-leaving');
    toast.addEventListener('animationend', () => toast.remove(), { once: true });
  }, TOAST_MS);
}

/** Shows a server `{"type":"error"}` message. */
export function showServerError(message) {
  showToast(message.message || message.code || 'Something went wrong');
}
