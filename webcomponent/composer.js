// The form under the log: the message box (input.js), the send button and the stop button
// that replaces it while a reply is generated.

import {MessageInput} from './input.js'

/**
 * The form's behaviour; the element decides what submitting and stopping do.
 *
 *     const composer = new Composer(parts)
 *     composer.connect(signal, {send: text => sent, stop, activity})
 *     composer.show({generating: true, offline: false})
 */
export class Composer {
  #form
  #textarea
  #sendButton
  #stopButton
  #input = null
  #send = () => false

  constructor({form, textarea, sendButton, stopButton}) {
    this.#form = form
    this.#textarea = textarea
    this.#sendButton = sendButton
    this.#stopButton = stopButton
  }

  /**
   * Listen until `signal` aborts: Enter and the send button submit (`send(text)` says
   * whether the text went), the stop button calls `stop`, focusing or typing `activity`
   * (also before a submit by the button, so that an idle socket wakes first).
   */
  connect(signal, {send, stop, activity}) {
    this.#send = send
    this.#input = new MessageInput(this.#textarea, {onSubmit: () => this.submit(), onActivity: activity, signal})
    this.#form.addEventListener(
      'submit',
      event => {
        event.preventDefault()
        activity()
        this.submit()
      },
      {signal},
    )
    this.#stopButton.addEventListener('click', () => stop(), {signal})
  }

  /** Put `text` in the message box (undo gives the user's message back) and focus it. */
  restore(text) {
    this.#input.value = text
    this.focus()
  }

  /** Send the text in the message box, if any; the box empties once it went. */
  submit() {
    const text = this.#input.value
    if (text.trim() && this.#send(text)) this.#input.clear()
  }

  focus(options) {
    this.#textarea.focus(options)
  }

  /** True from a stop request until the turn ends: the stop button is disabled meanwhile. */
  get stopping() {
    return this.#stopButton.disabled
  }

  set stopping(value) {
    this.#stopButton.disabled = value
  }

  /** Stop instead of send while generating (when there is a stop button); send disabled offline. */
  show({generating, offline}) {
    const showStop = generating && !this.#stopButton.classList.contains('absent')
    this.#stopButton.hidden = !showStop
    this.#sendButton.hidden = showStop
    this.#sendButton.disabled = offline || generating
  }
}
