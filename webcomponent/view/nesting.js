// Where a message goes in the log: a message with `metadata.parent_id` goes inside the
// thought whose `metadata.id` it names (to any depth), any other into the log itself.

/**
 * The thoughts of one conversation, by `metadata.id`, and the messages waiting for a
 * parent that has not come yet.
 *
 *     const nesting = new Nesting(() => log, () => pending)
 *     nesting.place(view, views)   // views: id -> MessageView (what is still shown)
 */
export class Nesting {
  #log
  #pending
  #thoughts = new Map() // metadata.id -> the latest view with it: where its children go
  #orphans = new Map() // a parent_id not shown yet -> the views waiting for it

  constructor(log, pending) {
    this.#log = log
    this.#pending = pending
  }

  clear() {
    this.#thoughts.clear()
    this.#orphans.clear()
  }

  /** `view` left the conversation: it is no parent any more, and waits for none. */
  forget(view) {
    if (view.thoughtId !== null && this.#thoughts.get(view.thoughtId) === view) this.#thoughts.delete(view.thoughtId)
    if (view.parentId !== null) this.#orphans.get(view.parentId)?.delete(view)
  }

  // A message continuing its author's run is marked, so that grouping can show one avatar
  // for the run.
  place(view, views) {
    const log = this.#log()
    const pending = this.#pending()
    const id = view.thoughtId
    if (id !== null) this.#thoughts.set(id, view)
    const parentId = view.parentId
    const parent = parentId !== null ? this.#thoughts.get(parentId) : null
    const container = parent && parent !== view && !view.element.contains(parent.element) ? parent.childrenElement : null
    if (parentId !== null && !container) {
      // Its parent has not come yet (or is no thought): it waits in the log, then moves in.
      if (!this.#orphans.has(parentId)) this.#orphans.set(parentId, new Set())
      this.#orphans.get(parentId).add(view)
    }
    const waiting = id !== null && view.childrenElement ? this.#orphans.get(id) : null
    if (waiting) this.#orphans.delete(id)
    if (container) {
      if (view.element.parentNode !== container) container.append(view.element)
    } else if (view.element.parentNode !== log) {
      // Before the pending dots, the log's last child (the conversation may build in a fragment first).
      log.insertBefore(view.element, pending.parentNode === log ? pending : null)
    }
    const before = view.element.previousElementSibling
    view.element.classList.toggle('continued', before?.dataset.role === view.element.dataset.role && !before.hidden)
    // Thoughts that named this one as their parent before it came move into it now.
    for (const child of waiting ?? []) if (views.get(child.id) === child) this.place(child, views)
  }
}
