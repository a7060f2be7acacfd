// One followed websocket stream of a fixture (docs/streams.md): its actions or its statistics. It authenticates
// with the first frame, resumes from the last packet shown after every disconnect (startPosition), drops packets
// already shown, reconnects at a gap rather than skip one, backs off, and treats a long silence as a dead
// connection. The match page follows two of them with this same code.

import { apiPath, currentToken } from './common.js';
import { backoffDelay, closeDecision, sequenceCheck } from './model.js';

// A connection that stayed accepted this long was a success: the next disconnect starts the backoff again.
const STEADY_MS = 5000;
// Heartbeats come every 10 s by default: a stream silent for three of them (or of the gap seen) is taken as dead.
const SILENCE_MS = 30000;

export class FollowedStream {
  /**
   * - `segment`: `actions` or `statistics`, the last segment of the stream's path.
   * - `progress()`: what is shown so far, `{ lastSeq, finished }` (the number of the last packet applied).
   * - `numberOf(message)`: a data frame's number (`fixtureSeqNum`, or a statistics packet's `seqNum`), or
   *   undefined for anything else.
   * - `apply(message)`: shows the packet that comes next.
   * - `status(state, text)`: `connecting`, `live`, `reconnecting`, `finished` or `error`, and words for it.
   * - `refused(retry)`: the server refused the token; `retry()` follows again once there is another.
   * - `noun`: what the packets are called in the state's words.
   */
  constructor({ segment, progress, numberOf, apply, status, refused, noun }) {
    Object.assign(this, { segment, progress, numberOf, apply, status, refused, noun });
    this.sport = null;
    this.fixtureId = null;
    // A new `generation` disowns the socket before it, so that its late events change nothing.
    this.socket = null;
    this.generation = 0;
    this.attempt = 0;
    this.timer = null;
    this.watchdog = null;
    this.silenceMs = SILENCE_MS;
    this.everAccepted = false;
    this.replaying = false;
    this.feed = 'betting';
    // A fixture that is not live is replayed: fast shows where it ended at once; the replay control picks normal.
    this.speed = 'fast';
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const feed = this.feed === 'media' ? '/media' : '';
    // startPosition counts the packets to skip: the stream starts at number lastSeq + 1.
    const query = `startPosition=${this.progress().lastSeq}&speed=${this.speed}`;
    return `${scheme}//${location.host}${feed}${apiPath(this.sport.path, 'fixtures', this.fixtureId, this.segment)}?${query}`;
  }

  connect() {
    clearTimeout(this.timer);
    const token = currentToken();
    if (!token) return this.refused(() => this.restart());
    const generation = ++this.generation;
    const mine = () => generation === this.generation;
    this.status(this.everAccepted ? 'reconnecting' : 'connecting', this.everAccepted ? 'Reconnecting…' : 'Connecting…');
    const socket = new WebSocket(this.url());
    this.socket = socket;
    let acceptedAt = 0;
    let errorMessage = null;
    let lastMessageAt = performance.now();
    this.watch(socket, mine);

    socket.addEventListener('open', () => socket.send(JSON.stringify({ authToken: token })));
    socket.addEventListener('message', (event) => {
      if (!mine()) return;
      const now = performance.now();
      this.silenceMs = Math.max(this.silenceMs, 3 * (now - lastMessageAt));
      lastMessageAt = now;
      this.watch(socket, mine);
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // Not JSON: nothing this page knows.
      }
      const seq = message && typeof message === 'object' ? this.numberOf(message) : undefined;
      if (seq !== undefined) {
        this.onPacket(message, seq, socket);
      } else if (message?.level === 'ERROR') {
        errorMessage = message.message ?? null;
      } else if (!acceptedAt && message?.message === 'Authorisation accepted') {
        acceptedAt = now;
        this.everAccepted = true;
        this.status('live', this.liveText());
      }
    });
    socket.addEventListener('close', (event) => {
      if (!mine()) return;
      this.socket = null;
      clearTimeout(this.watchdog);
      if (acceptedAt && performance.now() - acceptedAt >= STEADY_MS) this.attempt = 0;
      this.onClose(closeDecision(event.code, errorMessage, this.progress().finished), event.code, errorMessage);
    });
  }

  /** Restarts the silence timer: a stream that says nothing for too long is closed and reconnected. */
  watch(socket, mine) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (!mine()) return;
      this.abandon(socket);
      if (this.progress().finished) this.status('finished', this.finishedText());
      else this.reconnectLater();
    }, this.silenceMs);
  }

  /** Disowns the current socket and closes it; its close event is then ignored. */
  abandon(socket) {
    this.generation++;
    this.socket = null;
    clearTimeout(this.watchdog);
    try {
      socket?.close(1000);
    } catch {
      // Already closing.
    }
  }

  stop() {
    clearTimeout(this.timer);
    this.abandon(this.socket);
  }

  onPacket(message, seq, socket) {
    switch (sequenceCheck(this.progress(), seq)) {
      case 'old':
        return;
      case 'gap':
        // Showing it would skip packets: start again from the first one missing.
        this.abandon(socket);
        this.reconnectLater();
        return;
      case 'next':
        this.apply(message);
        if (this.progress().finished) this.status('finished', this.finishedText());
    }
  }

  onClose(decision, code, errorMessage) {
    switch (decision.action) {
      case 'finished':
        this.status('finished', this.finishedText());
        return;
      case 'reconnect':
        this.reconnectLater(decision.delay);
        return;
      case 'auth':
        this.status('error', 'The token was refused.');
        this.refused(() => this.restart());
        return;
      default:
        this.status('error', errorMessage ?? `The stream was closed with code ${code}; reload the page to try again.`);
    }
  }

  reconnectLater(delay) {
    clearTimeout(this.timer);
    const wait = delay ?? backoffDelay(this.attempt++);
    const state = this.everAccepted ? 'reconnecting' : 'connecting';
    this.status(state, `Disconnected; reconnecting in ${Math.max(1, Math.round(wait / 1000))} s…`);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  /** Drops the current connection and connects again at once, from the next packet to show. */
  restart() {
    this.stop();
    this.attempt = 0;
    this.connect();
  }

  /** Follows again from the first packet, at `speed`: the page has cleared what it showed. */
  replay(speed) {
    this.stop();
    this.speed = speed;
    this.replaying = true;
    this.everAccepted = false;
    this.restart();
  }

  liveText() {
    const feed = this.feed === 'media' ? 'media feed (delayed)' : 'betting feed';
    return this.replaying ? `Replaying (${this.speed}): ${feed}` : `Connected: ${feed}`;
  }

  finishedText() {
    return `Finished: all ${this.progress().lastSeq} ${this.noun} received.`;
  }
}
