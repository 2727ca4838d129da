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
  #note
  #input = null
  #send = () => false
  #limit = Infinity // config.max_message_chars
  #prefilled = false

  constructor({form, textarea, sendButton, stopButton, inputNote}) {
    this.#form = form
    this.#textarea = textarea
    this.#sendButton = sendButton
    this.#stopButton = stopButton
    this.#note = inputNote
  }

  /** The longest message the server takes, in characters (config.max_message_chars). */
  set limit(value) {
    this.#limit = Number.isInteger(value) && value > 0 ? value : Infinity
  }

  /**
   * Listen until `signal` aborts: Enter and the send button submit (`send(text)` says
   * whether the text went), the stop button calls `stop`, focusing or typing `activity`
   * (also before a submit by the button, so that an idle socket wakes first).
   */
  connect(signal, {send, stop, activity}) {
    this.#send = send
    this.#input = new MessageInput(this.#textarea, {onSubmit: () => this.submit(), onActivity: activity, signal})
    this.#textarea.addEventListener('input', () => this.say(''), {signal}) // the reader is on it
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

  /** Put `text` in the box once, if it is empty (config.textbox_value: a prefilled message). */
  prefill(text) {
    if (!text || this.#prefilled || this.#textarea.value) return
    this.#prefilled = true
    this.#textarea.value = text
    this.#input?.resize()
  }

  /** Put `text` in the message box (undo gives the user's message back) and focus it. */
  restore(text) {
    this.#input.value = text
    this.focus()
  }

  /**
   * Send the text in the message box, if any; the box empties once it went. Text over the
   * limit stays, and a note says why.
   */
  submit() {
    const text = this.#input.value
    if (!text.trim()) return
    const length = characters(text)
    if (length > this.#limit) {
      this.say(`This message has ${length.toLocaleString('en')} characters; the limit is ${this.#limit.toLocaleString('en')}.`)
      return
    }
    if (this.#send(text)) {
      this.#input.clear()
      this.say('')
    }
  }

  /**
   * The server refused `text` (sent from this box): it comes back, unless the reader has
   * typed something else meanwhile, and `why` shows under the box.
   */
  giveBack(text, why) {
    if (!this.#input.value.trim()) this.#input.value = text
    this.say(why)
    this.focus()
  }

  /** Show `text` under the box (empty: nothing). */
  say(text) {
    if (this.#note.textContent !== text) this.#note.textContent = text
    this.#note.hidden = !text
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

// Characters as the server counts them (code points): an emoji is one, not two.
function characters(text) {
  let count = 0
  for (const _ of text) count++
  return count
}
