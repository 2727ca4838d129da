// The messages on screen: one MessageView each, in the log, in conversation order, with
// the buttons each offers (feedback, edit, versions, retry and undo under the last reply,
// or under the last question when its turn failed without one). conversation.js decides
// when messages come and go; this module keeps them in place.

import {createTurnButtons, labelAction} from '../actions/message-actions.js'
import {Nesting} from './nesting.js'
import {createAlert} from './parts.js'
import * as protocol from '../core/protocol.js'
import {MessageView, normalizeMessage} from './render.js'
import {setText} from '../i18n/strings.js'
import {readTurn, showTurnControls} from '../actions/versions.js'

/**
 * The views of one conversation, by id, in the order they were shown.
 *
 *     const list = new MessageList({log, pending, placeholder})
 *     list.insertMessage({role: 'user', content: 'Hi'})
 *     list.history()    // what `hello` carries
 */
export class MessageList {
  #views = new Map()
  #log
  #pending
  #placeholder
  #nesting
  #latest = null // the last message (not a thought): the only one whose preset replies, retry and undo show
  #avatars = {}
  #feedback = {options: null, user: false} // config.likeable's buttons, and for user messages too?
  #editable = null // config.editable: null, 'user' or 'all'
  #selectable = false // config.selectable: messages take focus and clicks
  #turnButtons = createTurnButtons() // retry and undo: one pair, under the last reply

  constructor({log, pending, placeholder}) {
    this.#log = log
    this.#pending = pending
    this.#placeholder = placeholder
    this.#nesting = new Nesting(() => this.#log, () => this.#pending)
    this.changed()
  }

  get size() {
    return this.#views.size
  }

  /** The view of message `id` (undefined: none). */
  get(id) {
    return this.#views.get(id)
  }

  /** The view of the `.message` element `element` (undefined: none). */
  viewOf(element) {
    return this.#views.get(element?.dataset.id)
  }

  values() {
    return this.#views.values()
  }

  /** `view` and every message after it. */
  tailFrom(view) {
    const views = [...this.#views.values()]
    return views.slice(views.indexOf(view))
  }

  lastUserView() {
    const views = [...this.#views.values()]
    for (let i = views.length - 1; i >= 0; i--) if (views[i].role === protocol.USER) return views[i]
    return null
  }

  /** The id of the message being streamed, or null. */
  streamingId() {
    for (const view of this.#views.values()) if (view.status === protocol.STREAMING) return view.id
    return null
  }

  /** `{id: tailSize}` of each streaming message (MessageView.tailSize): what a reload keeps of them. */
  tails() {
    const tails = {}
    for (const view of this.#views.values()) if (view.status === protocol.STREAMING) tails[view.id] = view.tailSize
    return tails
  }

  /** Take the streaming messages a reload showed up again, with the `tails()` saved. */
  resume(tails) {
    for (const view of this.#views.values()) {
      if (view.status === protocol.STREAMING && Number.isInteger(tails?.[view.id])) view.resume(tails[view.id])
    }
  }

  /** Show `view` at the end (or inside the thought it names). */
  insert(view) {
    this.#views.set(view.id, view)
    if (this.#selectable) view.element.tabIndex = 0
    view.setAvatar(this.#avatars[view.role] ?? null)
    if (this.#feedback.options) this.#offerFeedback(view)
    this.#showTurn(view)
    this.place(view)
    if (isLatest(view)) this.#setLatest(view)
    return view
  }

  /**
   * Show a plain message (the page's, a reload's, another version's) at the end; `turn`:
   * the versions of the turn it starts (versions.js), read from its `versions` by default.
   */
  insertMessage(item, turn = readTurn(item)) {
    const view = new MessageView(normalizeMessage(item, protocol.newMessageId))
    const shown = this.#views.get(view.id)
    if (shown) this.removeViews([shown]) // the same id again: the new one goes at the end
    view.turn = turn
    return this.insert(view)
  }

  /** Put `view` where it belongs: a thought may have found its parent. */
  place(view) {
    this.#nesting.place(view, this.#views)
  }

  /** Remove every message and alert; `build()` then shows new ones, inserted into the log at once. */
  rebuild(build) {
    for (const view of this.#views.values()) view.element.remove()
    for (const alert of this.#log.querySelectorAll('.error')) alert.remove()
    this.#views.clear()
    this.#nesting.clear()
    this.#latest = null
    // Built detached and added at once: one insertion into the live log, not one per message.
    const detached = document.createDocumentFragment()
    const log = this.#log
    this.#log = detached
    try {
      build()
    } finally {
      this.#log = log
    }
    log.insertBefore(detached, this.#pending)
    this.changed()
  }

  /** fn dropped a message from its list: it goes, and the thoughts nested in it move out. */
  remove(id) {
    const view = this.#views.get(id)
    if (!view) return
    const children = view.childrenElement
    if (children) view.element.after(...children.childNodes)
    this.removeViews([view])
  }

  /** Take `views` off the screen (fn dropped them, or the same id came again). */
  removeViews(views) {
    let latestGone = false
    for (const view of views) {
      view.element.remove()
      this.#views.delete(view.id)
      this.#nesting.forget(view)
      if (this.#latest === view) latestGone = true
    }
    if (latestGone) {
      // Only then: finding the last message walks the whole conversation.
      this.#latest = null
      const last = [...this.#views.values()].findLast(isLatest)
      if (last) this.#setLatest(last)
    }
    this.changed()
  }

  /**
   * Take `view` and everything after it off the screen, alerts included (another version of
   * its turn is shown instead).
   */
  removeFrom(view) {
    this.#removeAlertsAfter(view)
    this.removeViews(this.tailFrom(view))
  }

  /** Apply what config.json says about messages; `avatars`: config.js's `{user, assistant}`. */
  configure(config, avatars) {
    this.setAvatars(avatars)
    this.setFeedback(config.likeable ? config.feedback_options : null, config.like_user_message === true)
    this.labelTurnButtons(config.retry_btn, config.undo_btn)
    this.setEditable(config.editable)
    this.setSelectable(config.selectable === true)
  }

  /** Show `avatars` (`{user, assistant}`: image URLs or null) beside every message. */
  setAvatars(avatars) {
    this.#avatars = avatars
    for (const view of this.#views.values()) view.setAvatar(avatars[view.role] ?? null)
  }

  /** Offer feedback buttons: `options` (config.feedback_options when likeable) or null; `user`: on user messages too. */
  setFeedback(options, user) {
    this.#feedback = {options: options?.length ? options : null, user}
    for (const view of this.#views.values()) this.#offerFeedback(view)
  }

  /** Which messages the reader may edit: config.editable (null, 'user' or 'all'). */
  setEditable(editable) {
    this.#editable = editable === 'user' || editable === 'all' ? editable : null
    for (const view of this.#views.values()) this.#showTurn(view)
  }

  /** Make messages focusable (Enter or a click selects one) while something listens to `select`. */
  setSelectable(selectable) {
    if (selectable === this.#selectable) return
    this.#selectable = selectable
    for (const view of this.#views.values()) {
      if (selectable) view.element.tabIndex = 0
      else view.element.removeAttribute('tabindex')
    }
  }

  /**
   * Whether the reader may edit `view`: a text message of theirs the server took (or a
   * finished reply, with 'all'), not a thought.
   */
  canEdit(view) {
    if (typeof view.content !== 'string' || view.element.classList.contains('thought')) return false
    if (view.role === protocol.USER) return this.#editable !== null && view.status === protocol.COMPLETE
    return view.role === protocol.ASSISTANT && this.#editable === 'all' && view.status !== protocol.STREAMING
  }

  /** Show the buttons `view` offers now (its status changed: a failed message is not editable). */
  refresh(view) {
    this.#showTurn(view)
  }

  /**
   * The last turn failed (fn raised, the connection went): retry and undo go under the last
   * message even when it is the reader's, as there is no reply to put them under.
   */
  offerTurnButtons() {
    // Only with a message of the reader's (the first is near the start): a greeting has none.
    for (const view of this.#views.values()) if (view.role === protocol.USER) return this.#latest.actions.append(...this.#turnButtons)
  }

  /** Show Retry pressed (`held`: it runs once the socket is back) or not. */
  holdRetry(held) {
    const [retry] = this.#turnButtons
    if (held) retry.setAttribute('aria-pressed', 'true')
    else retry.removeAttribute('aria-pressed')
  }

  /** Show an error alert under the message `id` (after those already there), or at the end of the log. */
  sayError(code, text, id) {
    const alert = createAlert(code, text)
    const view = id ? this.#views.get(id) : null
    if (view) {
      let after = view.element
      while (after.nextElementSibling?.classList.contains('error')) after = after.nextElementSibling
      after.after(alert)
    } else {
      this.#log.insertBefore(alert, this.#pending)
    }
  }

  /** The user message `id` never reached the server: shown as failed, and no longer editable. */
  fail(id) {
    const view = id ? this.#views.get(id) : null
    if (!view) return
    view.setStatus(protocol.FAILED)
    this.refresh(view)
  }

  /** Nothing will finish the messages still streaming: they fail. True when there were some. */
  failStreaming() {
    let failed = false
    for (const view of this.#views.values()) {
      if (view.status !== protocol.STREAMING) continue
      view.setStatus(protocol.FAILED)
      failed = true
    }
    return failed
  }

  /**
   * Say at the end of the log why the turn was cut off, and offer retry and undo: `reason`
   * names a text of strings.js ('interrupted', 'restarted'). Returns the alert (`data-code`
   * the reason), which `sayCutOff` may say again better once the socket knows why.
   */
  sayCutOff(reason, alert = createAlert(reason, '')) {
    alert.dataset.code = reason
    setText(alert, reason)
    if (!alert.isConnected) this.#log.insertBefore(alert, this.#pending)
    this.offerTurnButtons()
    return alert
  }

  /**
   * Before the turn of the reader's message `view` is generated again: the alerts after it
   * go (what went wrong last time), and so do the messages after it that the server never
   * held (a reply cut off before its first word), as no `remove` will come for them.
   */
  clearAfter(view) {
    const held = new Set(this.history().map(message => message.id))
    this.#removeAlertsAfter(view)
    this.removeViews(this.tailFrom(view).slice(1).filter(after => !held.has(after.id)))
  }

  /** Label retry and undo as config says (`retry_btn`, `undo_btn`: true for the icon, or a text). */
  labelTurnButtons(retry, undo) {
    const [retryButton, undoButton] = this.#turnButtons
    labelAction(retryButton, retry, 'retry', 'retry')
    labelAction(undoButton, undo, 'undo', 'undo')
  }

  /**
   * What `hello` carries: everything shown, except assistant messages with no text yet,
   * user messages the server never took (rejected, or cut off before its echo: a message
   * rejected as too large must not come back in every hello and be rejected again) and
   * system messages (the server keeps its own and refuses any other).
   */
  history() {
    const history = []
    for (const view of this.#views.values()) {
      if (view.role !== protocol.USER && view.role !== protocol.ASSISTANT) continue
      if (view.role === protocol.ASSISTANT && !view.content && !view.toHistory().metadata) continue
      if (view.role === protocol.USER && view.status === protocol.FAILED) continue
      history.push(view.toHistory())
    }
    return history
  }

  /** The text a message's copy button copies (`element`: its `.message`). */
  copyTextOf(element) {
    return this.viewOf(element)?.copyText ?? ''
  }

  /** The conversation as text, `role: content` per message (system messages left out). */
  transcript() {
    const lines = []
    for (const view of this.#views.values()) {
      if (view.role === protocol.SYSTEM || view.element.hidden) continue
      lines.push(`${view.role}: ${view.copyText}`)
    }
    return lines.join('\n\n')
  }

  /** The placeholder shows only while the conversation is empty. */
  changed() {
    this.#placeholder.hidden = this.#views.size > 0
  }

  #removeAlertsAfter(view) {
    for (let node = view.element.nextElementSibling; node; ) {
      const next = node.nextElementSibling
      if (node.classList.contains('error')) node.remove()
      node = next
    }
  }

  #offerFeedback(view) {
    const {options, user} = this.#feedback
    const offered = view.role === protocol.ASSISTANT || (user && view.role === protocol.USER)
    view.offerFeedback(offered && !view.element.classList.contains('thought') ? options : null)
  }

  #showTurn(view) {
    if (view.turn || view.role === protocol.USER || view.role === protocol.ASSISTANT) showTurnControls(view, this.canEdit(view))
  }

  #setLatest(view) {
    if (this.#latest === view) return
    this.#latest?.element.removeAttribute('data-latest')
    this.#latest = view
    view.element.setAttribute('data-latest', '')
    // Retry and undo act on the last exchange: their one pair of buttons follows the last reply.
    if (view.role === protocol.ASSISTANT) this.offerTurnButtons()
  }
}

// The last message that counts as the latest: not a system message (hidden, it hides no
// options), nor a thought, whose buttons do not show (a turn cut off in one offers retry and
// undo under the question).
function isLatest(view) {
  return view.role !== protocol.SYSTEM && !view.childrenElement
}
