// The turn the server is running, followed frame by frame. The server keeps a turn running
// when the socket drops or the page reloads, and a new socket may take it up: its `hello`
// names the turn, with the key only this element was given and the `seq` of the last frame
// it applied, and the server sends the frames that came after that one (docs/protocol.md).
// A frame numbered at or below the last one applied is already shown: it is dropped, so
// nothing shows twice. Why the socket went is kept here too: for the notice under a turn cut
// off, and for one the server cannot follow on.

import * as protocol from '../core/protocol.js'

/**
 * The turn in progress, from its `turn` frame to its `idle` (none between turns).
 *
 *     const turn = new Turn(element, list)
 *     turn.begin(frame)       // a `turn` frame, or what a reload kept (`toJSON()`)
 *     turn.accept(frame)      // every server frame first: false when it is applied already
 *     turn.toJSON()           // what `hello` carries: {id, key, seq}, or null
 *     turn.welcomed(frame)    // a `welcome`: null when the turn goes on, else why it is cut off
 *     turn.end()              // its `idle` came, or it was cut off
 */
export class Turn {
  #turn = null // {id, key, seq}: seq is the last of its frames applied
  #lost = null // why the socket went while the turn ran (the first drop's)
  #cutOff = null // the alert saying why the last turn was cut off, until the socket says why

  /**
   * `element`'s `chat-bot-connection` events (socket.js) say why the socket went; `list`
   * (MessageList) says it under the turn cut off.
   */
  constructor(element, list) {
    // Sent right after the socket interrupted the turn, or left it running on the server.
    element.addEventListener('chat-bot-connection', event => {
      const reason = event.detail?.reason
      if (this.#cutOff && reason === 'restart') list.sayCutOff('restarted', this.#cutOff)
      this.#cutOff = null
      if (this.#turn) this.#lost ??= reason
    })
  }

  /** True from the turn's `turn` frame until it ends. */
  get running() {
    return this.#turn !== null
  }

  /**
   * Follow the turn that `frame` (`{id, key, seq}`) begins, instead of any other. False when
   * it is malformed: then none is followed (a `hello` carrying it would be refused).
   */
  begin(frame) {
    this.#lost = null
    return (this.#turn = protocol.followable(frame)) !== null
  }

  /**
   * Whether to apply the server frame `frame`: false for a frame of this turn whose `seq` is
   * not above the last applied (a resumed turn's, which the element already shows). A frame
   * without `seq` is no part of a turn, and another turn's `turn` frame begins that one.
   */
  accept({type, id, seq}) {
    const turn = this.#turn
    if (!turn || !(seq > 0) || (type === protocol.TURN && id !== turn.id)) return true
    if (seq <= turn.seq) return false
    turn.seq = seq
    return true
  }

  /**
   * What `welcome`, the answer to a `hello` that carried the turn, means for it: null when the
   * server follows it on (what the element missed follows) or none is followed; else the text
   * (strings.js) saying why nothing will finish it: 'restarted' or 'interrupted'.
   */
  welcomed({turn}) {
    if (!this.#turn || (turn?.resumed === true && turn.id === this.#turn.id)) return (this.#lost = null)
    return this.#lost === 'restart' ? 'restarted' : 'interrupted'
  }

  /** A turn was cut off, and `alert` says so: the socket's next event may say why better. */
  cutOff(alert) {
    this.#cutOff = alert
  }

  /** The turn ended (its `idle`) or was cut off: none is followed. */
  end() {
    this.#turn = this.#lost = null
  }

  /** A copy of `{id, key, seq}`, or null: what `hello` carries, and a reload keeps (`begin()`). */
  toJSON() {
    return this.#turn && {...this.#turn}
  }
}
