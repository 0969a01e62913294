// Game sounds made with the WebAudio API (no sound files), behind a mute switch kept in
// localStorage. Browsers let a page make sound only after the user touched it, so nothing
// plays before the first click, tap or key press.

const MUTED_KEY = 'kogame.sounds.muted';
const GESTURES = ['pointerdown', 'keydown'];

// Each sound is a few short notes: a waveform gliding from one pitch to another, or a burst of
// noise (the knock of a capture), each at its start time in seconds with its peak volume.
const SOUNDS = {
  move: [{ wave: 'triangle', from: 600, to: 300, at: 0, length: 0.07, volume: 0.3 }],
  capture: [
    { wave: 'noise', at: 0, length: 0.06, volume: 0.35 },
    { wave: 'square', from: 260, to: 110, at: 0, length: 0.11, volume: 0.12 },
  ],
  lowTime: [
    { wave: 'sine', from: 880, to: 880, at: 0, length: 0.12, volume: 0.25 },
    { wave: 'sine', from: 880, to: 880, at: 0.2, length: 0.12, volume: 0.25 },
  ],
};

function readMuted(storage) {
  try {
    return storage?.getItem(MUTED_KEY) === '1';
  } catch {
    return false; // Storage can be off (private modes): sounds stay on.
  }
}

export class Sounds {
  /** storage, AudioContextImpl and target (where gestures are heard): the browser's by default. */
  constructor({
    storage = globalThis.localStorage,
    AudioContextImpl = globalThis.AudioContext,
    target = globalThis.document,
  } = {}) {
    this.storage = storage;
    this.AudioContextImpl = AudioContextImpl;
    this.muted = readMuted(storage);
    this.context = null;
    const unlock = () => {
      for (const type of GESTURES) target.removeEventListener(type, unlock, true);
      // Made during a gesture, the context is allowed to play.
      if (this.AudioContextImpl) this.context = new this.AudioContextImpl();
    };
    for (const type of GESTURES) target.addEventListener(type, unlock, true);
  }

  /** Flips the mute switch, remembers it, and returns whether sounds are now muted. */
  toggleMuted() {
    this.muted = !this.muted;
    try {
      this.storage?.setItem(MUTED_KEY, this.muted ? '1' : '0');
    } catch {
      // Not remembered, but still applied on this page.
    }
    return this.muted;
  }

  /** Plays 'move', 'capture' or 'lowTime'; false when it stays silent (muted, or too early). */
  play(name) {
    const notes = SOUNDS[name];
    if (this.muted || !this.context || !notes) return false;
    if (this.context.state === 'suspended') this.context.resume();
    const start = this.context.currentTime;
    for (const note of notes) this.playNote(note, start + note.at);
    return true;
  }

  playNote({ wave, from, to, length, volume }, at) {
    const context = this.context;
    const source = wave === 'noise' ? this.noise(length) : context.createOscillator();
    if (wave !== 'noise') {
      source.type = wave;
      source.frequency.setValueAtTime(from, at);
      source.frequency.exponentialRampToValueAtTime(to, at + length);
    }
    // A quick rise and a fading tail, so no note starts or stops with a click.
    const gain = context.createGain();
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(volume, at + 0.005);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    source.connect(gain);
    gain.connect(context.destination);
    source.start(at);
    source.stop(at + length);
  }

  noise(length) {
    const context = this.context;
    const buffer = context.createBuffer(1, Math.ceil(context.sampleRate * length), context.sampleRate);
    const samples = buffer.getChannelData(0);
    for (let index = 0; index < samples.length; index += 1) samples[index] = Math.random() * 2 - 1;
    const source = context.createBufferSource();
    source.buffer = buffer;
    return source;
  }
}
