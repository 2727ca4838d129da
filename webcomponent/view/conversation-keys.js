// What names a conversation to the server, from its `welcome`s: its id (`session`), the key its
// uploads go with, and its live key (the sockets that send it show the conversation live in
// every tab). `hello` sends them back; a reload (persist.js) and the saved chats' panel keep them
// with the conversation. Each is checked as it comes: one that is not well-formed is none.

import * as protocol from '../core/protocol.js'

/**
 *     const keys = new ConversationKeys()
 *     keys.welcomed(frame)        // a `welcome`: what it gave
 *     keys.set({session, uploadKey, live})   // another conversation's (null: none yet)
 *     keys.whenUploadKey()        // settles with the upload key once there is one
 */
export class ConversationKeys {
  #session = null
  #uploadKey = null
  #live = null
  #keyWaiters = []

  /** The conversation's id (a `welcome`'s `session`), or null before the first. */
  get session() {
    return this.#session
  }

  set session(value) {
    this.#session = typeof value === 'string' && protocol.SESSION_PATTERN.test(value) ? value : null
  }

  /** The key this conversation's uploads go with (a `welcome`'s `upload_key`), or null. */
  get uploadKey() {
    return this.#uploadKey
  }

  set uploadKey(value) {
    this.#uploadKey = typeof value === 'string' && protocol.UPLOAD_KEY_PATTERN.test(value) ? value : null
    if (this.#uploadKey) for (const resolve of this.#keyWaiters.splice(0)) resolve(this.#uploadKey)
  }

  /** The conversation's live key (a `welcome`'s `live`), or null. */
  get live() {
    return this.#live
  }

  set live(value) {
    this.#live = typeof value === 'string' && protocol.LIVE_KEY_PATTERN.test(value) ? value : null
  }

  /** Take what a `welcome` frame gives. */
  welcomed(frame) {
    this.session = frame.session
    if (frame.upload_key) this.uploadKey = frame.upload_key
    if (frame.live) this.live = frame.live
  }

  /** Another conversation's keys (each null when it has none yet). */
  set({session = null, uploadKey = null, live = null}) {
    this.session = session
    this.uploadKey = uploadKey
    this.live = live
  }

  /** Settles with the upload key once the server has given one. */
  whenUploadKey() {
    return this.#uploadKey ? Promise.resolve(this.#uploadKey) : new Promise(resolve => this.#keyWaiters.push(resolve))
  }

  toJSON() {
    return {session: this.#session, uploadKey: this.#uploadKey, live: this.#live}
  }
}
