// The open conversation survives a reload of the page: an element with `src` keeps it in
// the tab's sessionStorage (this tab only, never sent anywhere) and shows it again on load,
// then resends it in `hello` as on any reconnect. Versions of edited turns and the reader's
// feedback come back with it. `persist="none"` turns this off.
//
// Saved: `{format: 1, session, upload_key, live?, messages, turn?}` (`live`: the conversation's live key). `turn` is there when the page went
// away mid-reply: `{id, key, seq, tails}`, the turn followed (its last frame applied, saved with
// the messages as they were then) and where the open block starts in each message still
// streaming (`{id: tailSize}`, view/render.js). The server may still run that turn, and the first
// `hello` asks to follow it on. Data saved before turns were followed has no `turn`, and reads as
// it always did.

import {STOPPED, STREAMING, followable} from './protocol.js'

const PREFIX = 'chat-bot:'
const FORMAT = 1
const SAVE_DELAY_MS = 300

/**
 * One element's saved conversation.
 *
 *     const saved = SavedConversation.open(element, conversation)   // null: persist="none"
 *     saved?.schedule()               // something changed: save soon
 */
export class SavedConversation {
  #key
  #conversation
  #timer = 0

  /** The storage key of an element showing the blueprint at `src` (an absolute URL), `id` its id. */
  static keyFor(src, id) {
    return `${PREFIX}${src}${id ? `#${id}` : ''}`
  }

  /**
   * Keep `conversation` (conversation.js) of `element` for a reload, and show what a reload
   * left if it shows nothing yet (the socket's `hello` then resends it). `id`: the id the
   * page gave the element (not one config.json's elem_id set later, which would change the
   * key). Null with `persist="none"`.
   */
  static open(element, conversation, id) {
    if (element.getAttribute('persist') === 'none') return null
    const saved = new SavedConversation(this.keyFor(new URL(element.src, document.baseURI).href, id), conversation)
    const restored = saved.load()
    if (restored && !conversation.list.size) {
      conversation.keys.set(restored) // the reload's files stay its own, its other tabs live with it
      conversation.replace(restored.messages, false)
      if (restored.turn) conversation.follow(restored.turn) // the first `hello` names it
    }
    return saved
  }

  constructor(key, conversation) {
    this.#key = key
    this.#conversation = conversation
  }

  /**
   * What was saved: `{session, uploadKey, messages, turn}` (`turn`: the one to follow on, or
   * null), or null (nothing, unreadable, no storage).
   */
  load() {
    try {
      const data = JSON.parse(sessionStorage.getItem(this.#key) ?? 'null')
      if (data?.format !== FORMAT || !Array.isArray(data.messages)) return null
      // A reply cut off by the reload ends where it was, unless its turn was kept: the server
      // may finish it yet (the first `welcome` says; conversation.js).
      const turn = followable(data.turn)
      if (turn) turn.tails = data.turn.tails
      else for (const message of data.messages) if (message?.status === STREAMING) message.status = STOPPED
      const text = value => (typeof value === 'string' ? value : null)
      return {session: text(data.session), uploadKey: text(data.upload_key), live: text(data.live), messages: data.messages, turn}
    } catch {
      return null
    }
  }

  /**
   * Save soon: changes arriving together are saved once. Not while a reply is generated
   * (its end schedules a save): a stream must not cost a save per frame.
   */
  schedule() {
    if (!this.#timer && !this.#conversation.generating) this.#timer = setTimeout(() => this.save(), SAVE_DELAY_MS)
  }

  /** Save now (the page is going away). */
  save() {
    clearTimeout(this.#timer)
    this.#timer = 0
    const {messages, turn} = this.#conversation
    const {session, uploadKey, live} = this.#conversation.keys
    try {
      const data = {format: FORMAT, session, upload_key: uploadKey, live, messages}
      // The turn with the messages as they are now: its `seq` is the last frame they show.
      if (turn.running) data.turn = {...turn.toJSON(), tails: this.#conversation.list.tails()}
      if (messages.length) sessionStorage.setItem(this.#key, JSON.stringify(data))
      else sessionStorage.removeItem(this.#key)
    } catch {
      // Storage full or refused (private mode, a sandboxed frame): the conversation lives on
      // screen; a reload starts afresh rather than from an old copy. Nothing to tell the
      // reader mid-chat.
      try {
        sessionStorage.removeItem(this.#key)
      } catch {
        // no storage at all
      }
    }
  }

  /** Stop saving (the element shows another blueprint, or left the page). */
  cancel() {
    clearTimeout(this.#timer)
    this.#timer = 0
  }
}
