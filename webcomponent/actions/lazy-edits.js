// Editing messages and switching versions (edits.js), fetched the first time the reader edits
// or switches a version: most chats never do, and the cold page keeps its budget
// (docs/performance.md). Until then nothing is being edited, so the conversation's questions
// have their answers here.

import {Lazy} from '../core/lazy.js'

/**
 * The conversation's `edits` before and after edits.js has loaded.
 *
 *     const edits = new LazyEdits(Edits => new Edits(element, list, host))
 *     edits.begin(view.element)                 // loads it, then opens the editor
 *     edits.step(view.element, 1, () => save())  // the next version; `then` once it is shown
 */
export class LazyEdits {
  #edits

  constructor(create) {
    this.#edits = new Lazy(() => import('./edits.js').then(({Edits}) => create(Edits)))
  }

  /** True while a saved edit waits for the server's answer. */
  get pending() {
    return this.#edits.value?.pending ?? false
  }

  /** Open the editor on the message `element`. */
  begin(element) {
    this.#edits.use(edits => edits.begin(element))
  }

  /** Show the turn of `element` `step` versions on; `then()` when it did. */
  step(element, step, then) {
    this.#edits.use(edits => edits.step(element, step) && then?.())
  }

  /** Close the editor, if one is open. */
  close(focus = false) {
    this.#edits.value?.close(focus)
  }

  /** Whether `message` answers the edit sent (and is shown by it). */
  answered(message) {
    return this.#edits.value?.answered(message) ?? false
  }

  /** The server refused what waited: true when that was an edit. */
  refused() {
    return this.#edits.value?.refused() ?? false
  }
}
