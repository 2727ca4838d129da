// The message box of <chat-bot>: a textarea where Enter sends and Shift+Enter starts a
// new line, that grows with its text up to a maximum height (CSS `max-height`).

const FIELD_SIZING = globalThis.CSS?.supports?.('field-sizing', 'content') ?? false

/**
 * Behaviour of the message textarea.
 *
 *     const input = new MessageInput(textarea, {
 *       onSubmit: () => send(input.value),  // Enter (not while an IME is composing)
 *       onActivity: () => wakeConnection(),  // focus, typing
 *       signal,                              // removes the listeners when aborted
 *     })
 */
export class MessageInput {
  #textarea

  constructor(textarea, {onSubmit, onActivity = () => {}, signal}) {
    this.#textarea = textarea
    textarea.addEventListener(
      'keydown',
      event => {
        onActivity()
        if (event.key !== 'Enter' || event.shiftKey) return
        // Enter confirms an IME composition (Japanese, Chinese, ...): it must not send.
        // keyCode 229 covers browsers that end the composition before the keydown.
        if (event.isComposing || event.keyCode === 229) return
        event.preventDefault()
        onSubmit()
      },
      {signal},
    )
    textarea.addEventListener('input', () => this.resize(), {signal})
    textarea.addEventListener('focus', () => onActivity(), {signal})
  }

  get value() {
    return this.#textarea.value
  }

  set value(text) {
    this.#textarea.value = text
    this.resize()
  }

  clear() {
    this.value = ''
  }

  focus(options) {
    this.#textarea.focus(options)
  }

  /**
   * Fit the height to the text. Browsers with `field-sizing: content` do it in CSS;
   * elsewhere the height is measured, the one inline style the element sets (CSSOM
   * writes are allowed under a strict style-src).
   */
  resize() {
    if (FIELD_SIZING) return
    const textarea = this.#textarea
    textarea.style.height = 'auto'
    const style = getComputedStyle(textarea)
    const borders = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth)
    textarea.style.height = `${textarea.scrollHeight + borders}px`
  }
}
