// The element's events: all named `chat-bot-*`, bubbling and crossing the shadow boundary
// (`composed`), so a page can listen on the element or anywhere above it.

/** Dispatch `chat-bot-${name}` on `target`; returns the event (see `defaultPrevented`). */
export function emit(target, name, detail, cancelable = false) {
  const event = new CustomEvent(`chat-bot-${name}`, {bubbles: true, composed: true, cancelable, detail})
  target.dispatchEvent(event)
  return event
}
