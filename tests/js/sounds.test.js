import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Sounds } from '../../static/js/sounds.js';

/** An AudioContext that only counts the notes it is asked to start. */
class FakeAudioContext {
  static made = [];

  constructor() {
    this.state = 'running';
    this.currentTime = 0;
    this.sampleRate = 8000;
    this.destination = {};
    this.started = 0;
    FakeAudioContext.made.push(this);
  }

  node(extra = {}) {
    const param = () => ({ setValueAtTime() {}, exponentialRampToValueAtTime() {} });
    return {
      frequency: param(),
      gain: param(),
      connect() {},
      start: () => {
        this.started += 1;
      },
      stop() {},
      ...extra,
    };
  }

  createOscillator() {
    return this.node();
  }

  createGain() {
    return this.node();
  }

  createBufferSource() {
    return this.node();
  }

  createBuffer(channels, length) {
    const samples = new Float32Array(length);
    return { getChannelData: () => samples };
  }
}

/** A page that hears gestures the test makes. */
class FakePage {
  constructor() {
    this.listeners = new Map();
  }

  addEventListener(type, listener) {
    this.listeners.set(type, [...(this.listeners.get(type) || []), listener]);
  }

  removeEventListener(type, listener) {
    this.listeners.set(type, (this.listeners.get(type) || []).filter((known) => known !== listener));
  }

  gesture(type = 'pointerdown') {
    for (const listener of this.listeners.get(type) || []) listener({});
  }
}

function memoryStorage(entries = {}) {
  const data = new Map(Object.entries(entries));
  return { getItem: (key) => data.get(key) ?? null, setItem: (key, value) => data.set(key, value), data };
}

function setUp(storage = memoryStorage()) {
  const page = new FakePage();
  const sounds = new Sounds({ storage, AudioContextImpl: FakeAudioContext, target: page });
  return { page, sounds, storage };
}

describe('Sounds', () => {
  test('nothing plays before the user touched the page', () => {
    const { sounds } = setUp();
    assert.equal(sounds.play('move'), false);
    assert.equal(sounds.context, null, 'no audio context made without a gesture');
  });

  test('after a click or a key press, moves, captures and the low-time warning play', () => {
    const { page, sounds } = setUp();
    page.gesture('keydown');
    assert.equal(sounds.play('move'), true);
    assert.equal(sounds.play('capture'), true);
    assert.equal(sounds.play('lowTime'), true);
    assert.ok(sounds.context.started >= 3);
    page.gesture('pointerdown');
    assert.equal(FakeAudioContext.made.filter((context) => context === sounds.context).length, 1);
  });

  test('the mute switch silences, and is remembered for the next page', () => {
    const { page, sounds, storage } = setUp();
    page.gesture();
    assert.equal(sounds.toggleMuted(), true);
    assert.equal(sounds.play('move'), false);

    const next = setUp(storage);
    next.page.gesture();
    assert.equal(next.sounds.muted, true);
    assert.equal(next.sounds.play('move'), false);
    assert.equal(next.sounds.toggleMuted(), false);
    assert.equal(next.sounds.play('move'), true);
  });

  test('storage that refuses access leaves sounds on', () => {
    const refusing = {
      getItem() {
        throw new Error('denied');
      },
      setItem() {
        throw new Error('denied');
      },
    };
    const { page, sounds } = setUp(refusing);
    page.gesture();
    assert.equal(sounds.muted, false);
    assert.equal(sounds.toggleMuted(), true);
  });
});
