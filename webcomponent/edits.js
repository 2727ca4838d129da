// Editing messages and switching the versions of a turn (versions.js). An edit goes to the
// server first; the conversation changes when the server answers with the edited message,
// so an edit it refuses (busy, too long) changes nothing and keeps the text in the editor.

import {EDITOR_TEXT, openEditor} from './editor.js'
import {emit} from './events.js'
import * as protocol from './protocol.js'
import {allVersions, turnOf, withoutTurn} from './versions.js'

/**
 * The edits of one conversation's messages (`list`: its MessageList). Events
 * (`chat-bot-edit`, `chat-bot-version`) are dispatched on `element`.
 *
 *     const edits = new Edits(element, list, {
 *       canSend: () => true,          // false: nothing can be sent now
 *       generating: () => false,      // a reply is being generated
 *       send: frame => ...,
 *       expectEcho: id => ...,        // an edit of the reader's message starts a turn
 *       changed: () => ...,           // the conversation shown changed
 *     })
 */
export class Edits {
  #element
  #list
  #host
  #open = null // {view, editor, pending: the id the server's answer will have, or null}

  constructor(element, list, host) {
    this.#element = element
    this.#list = list
    this.#host = host
  }

  /** True while an editor is open. */
  get editing() {
    return this.#open !== null
  }

  /** Open the editor on the message `element` (its edit button). False when it cannot be edited now. */
  begin(element) {
    const view = this.#list.viewOf(element)
    if (!view || !this.#list.canEdit(view) || this.#host.generating() || this.#open) return false
    const bubble = view.element.querySelector(':scope > .bubble')
    const editor = openEditor(bubble, view.content, {
      saveLabel: view.role === protocol.USER ? EDITOR_TEXT.send : EDITOR_TEXT.save,
      save: text => this.#save(text),
      cancel: () => this.close(true),
    })
    this.#open = {view, editor, pending: null}
    return true
  }

  /** Close the editor (`focus`: the reader cancelled, focus goes back to the edit button). */
  close(focus = false) {
    const open = this.#open
    if (!open) return
    this.#open = null
    open.editor.close()
    if (focus) open.view.element.querySelector('.action.edit')?.focus()
  }

  /**
   * Show version `version` of the turn the message `element` starts (its ‹ › buttons) and
   * tell the server, whose history is the version shown. The new first message, or null.
   */
  showVersion(element, version) {
    const list = this.#list
    const view = list.viewOf(element)
    if (!view?.turn || this.#host.generating() || this.#open || !this.#host.canSend()) return null
    const tail = list.tailFrom(view)
    const all = allVersions(view.turn, tail.map(v => withoutTurn(v.toJSON())))
    if (!Number.isInteger(version) || version < 0 || version >= all.length || version === view.turn.shown) return null
    if (emit(this.#element, 'version', {id: view.id, version, count: all.length}, true).defaultPrevented) return null
    list.removeViews(tail)
    const shown = all[version].map((message, i) => list.insertMessage(message, i === 0 ? turnOf(all, version) : null))
    list.changed()
    this.#host.send(protocol.branch(view.id, list.history(shown)))
    this.#host.changed()
    return shown[0]
  }

  /**
   * Show the version before (`step` -1) or after (+1) the one shown of the turn the message
   * `element` starts, keeping focus on its switcher (the old one left the page). The new
   * first message, or null.
   */
  step(element, step) {
    const turn = this.#list.viewOf(element)?.turn
    const shown = turn ? this.showVersion(element, turn.shown + step) : null
    const button = shown?.element.querySelector(step < 0 ? '.version-prev' : '.version-next')
    if (button) (button.disabled ? shown.element.querySelector('.versions button:not(:disabled)') : button)?.focus()
    return shown
  }

  /**
   * A `message` frame is about to be shown: the server's answer to an edit? One of the
   * reader's messages then starts a new version of the turn from it on; the version shown
   * until now is kept. An assistant message is simply updated.
   */
  answered(message) {
    const open = this.#open
    if (!open?.pending || open.pending !== message.id) return
    this.close()
    const edited = open.view
    if (edited.id === message.id) return
    const tail = this.#list.tailFrom(edited)
    const all = allVersions(edited.turn, tail.map(v => withoutTurn(v.toJSON())))
    this.#list.removeViews(tail)
    this.#list.insertMessage(message, {others: all, shown: all.length})
  }

  /** An error came while an edit waited for its answer: it was refused. True if so. */
  refused() {
    if (!this.#open?.pending) return false
    this.#open.pending = null
    this.#open.editor.busy = false
    return true
  }

  #save(text) {
    const {view, editor} = this.#open
    if (this.#host.generating() || !this.#host.canSend()) return
    if (text === view.content) return this.close(true)
    const user = view.role === protocol.USER
    const newId = user ? protocol.newMessageId() : null
    // A page with its own backend answers with a `message` frame of `newId` (or of `id`).
    if (emit(this.#element, 'edit', {id: view.id, text, previous: view.content, newId}, true).defaultPrevented) return
    const pending = newId ?? view.id
    this.#open.pending = pending
    editor.busy = true
    if (user) this.#host.expectEcho(pending) // the reply to the new text follows
    this.#host.send(protocol.edit(view.id, text, user ? pending : null))
  }
}
