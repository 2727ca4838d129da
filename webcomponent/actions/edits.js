// Editing messages and switching the versions of a turn (versions.js). An edit goes to the
// server first; the conversation changes when the server answers with the edited message,
// so an edit it refuses (busy, too long) changes nothing and keeps the text in the editor.
// A switch shows the other version at once and tells the server with a `hello` holding the
// version shown: the server's history is always what the reader sees.

import {emit} from '../core/events.js'
import {Lazy} from '../core/lazy.js'
import * as protocol from '../core/protocol.js'
import {allVersions, turnOf, withoutTurn} from './versions.js'

/**
 * The edits of one conversation's messages (`list`: its MessageList). Events
 * (`chat-bot-edit`, `chat-bot-version`) are dispatched on `element`.
 *
 *     const edits = new Edits(element, list, {
 *       online: action => ...,        // run `action` once something can be sent (an idle socket wakes)
 *       generating: () => false,      // a reply is being generated
 *       send: frame => ...,
 *       hello: () => frame,           // the `hello` of the conversation shown
 *       inputs: () => [...] | null,   // the additional inputs' values, sent with an edit
 *       expectEcho: id => ...,        // an edit of the reader's message starts a turn
 *       changed: () => ...,           // the conversation shown changed
 *       done: () => ...,              // an edit went through: focus goes on (to the message box)
 *     })
 */
export class Edits {
  #element
  #list
  #host
  #open = null // {view, editor, pending: the id the server's answer will have, or null}
  #editor = new Lazy(() => import('./editor.js')) // fetched on the first edit: most chats are never edited

  constructor(element, list, host) {
    this.#element = element
    this.#list = list
    this.#host = host
  }

  /** True while an editor is open. */
  get editing() {
    return this.#open !== null
  }

  /** True while a saved edit waits for the server's answer: nothing else may be sent meanwhile. */
  get pending() {
    return Boolean(this.#open?.pending)
  }

  /**
   * Open the editor on the message `element` (its edit button); an editor open elsewhere and
   * not sent yet closes. Nothing when it cannot be edited now (checked again once editor.js
   * has loaded, the first time: the conversation may have moved on meanwhile).
   */
  begin(element) {
    this.#editor.use(({openEditor}) => {
      const view = this.#list.viewOf(element)
      if (!view || !this.#list.canEdit(view) || this.#host.generating() || this.pending) return
      this.close()
      const bubble = view.element.querySelector(':scope > .bubble')
      const editor = openEditor(bubble, view.content, {
        saveLabel: view.role === protocol.USER ? 'send' : 'save',
        save: text => this.#save(text),
        cancel: () => this.close(true),
      })
      this.#open = {view, editor, pending: null}
    })
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
   * Show the version before (`step` -1) or after (+1) the one shown of the turn the message
   * `element` starts, keeping focus on its switcher (the old one left the page). False when
   * it cannot be switched now.
   */
  step(element, step) {
    const view = this.#list.viewOf(element)
    if (!view?.turn || this.#host.generating() || this.#open) return false
    return this.#host.online(() => {
      const shown = this.showVersion(view.element, view.turn.shown + step)
      const button = shown?.element.querySelector(step < 0 ? '.version-prev' : '.version-next')
      if (button) (button.disabled ? shown.element.querySelector('.versions button:not(:disabled)') : button)?.focus()
    })
  }

  /**
   * Show version `version` of the turn the message `element` starts and tell the server
   * (a `hello`). The new first message, or null.
   */
  showVersion(element, version) {
    const list = this.#list
    const view = list.viewOf(element)
    if (!view?.turn || this.#host.generating() || this.#open) return null
    const all = allVersions(view.turn, this.#chainFrom(view))
    if (!Number.isInteger(version) || version < 0 || version >= all.length || version === view.turn.shown) return null
    if (emit(this.#element, 'version', {id: view.id, version, count: all.length}, true).defaultPrevented) return null
    list.removeFrom(view)
    // The first message carries the turn; the others keep the versions of their own turns.
    const shown = all[version].map((message, i) => list.insertMessage(message, i === 0 ? turnOf(all, version) : undefined))
    list.changed()
    this.#host.send(this.#host.hello())
    this.#host.changed()
    return shown[0]
  }

  /**
   * A `message` frame is about to be shown: the server's answer to an edit? One of the
   * reader's messages then starts a new version of the turn from it on; the version shown
   * until now is kept. A reply is simply updated. True when it was the answer.
   */
  answered(message) {
    const open = this.#open
    if (!open?.pending || open.pending !== message.id) return false
    this.close()
    const edited = open.view
    if (edited.id !== message.id) {
      const all = allVersions(edited.turn, this.#chainFrom(edited))
      this.#list.removeFrom(edited)
      this.#list.insertMessage(message, {others: all, shown: all.length})
    }
    this.#host.done()
    return true
  }

  /** The server refused the edit that waited for its answer: the editor takes text again. */
  refused() {
    if (!this.#open?.pending) return false
    this.#open.pending = null
    this.#open.editor.busy = false
    return true
  }

  // The version of the turn `view` starts, as plain messages: the turn's own versions stay
  // with the turn (on its first message), those of later turns inside it go along.
  #chainFrom(view) {
    return this.#list.tailFrom(view).map((v, i) => (i === 0 ? withoutTurn(v.toJSON()) : v.toJSON()))
  }

  #save(text) {
    const {view} = this.#open
    if (this.#host.generating() || this.pending) return
    if (text === view.content) return this.close(true)
    const user = view.role === protocol.USER
    const newId = user ? protocol.newMessageId() : null
    // A page with its own backend answers with a `message` frame of `newId` (or of `id`).
    if (emit(this.#element, 'edit', {id: view.id, text, previous: view.content, newId}, true).defaultPrevented) return
    this.#host.online(() => {
      const open = this.#open
      if (open?.view !== view || open.pending) return // closed meanwhile
      open.pending = newId ?? view.id
      open.editor.busy = true
      if (user) this.#host.expectEcho(newId) // the reply to the new text follows
      this.#host.send(protocol.edit(view.id, text, newId, this.#host.inputs()))
    })
  }
}
