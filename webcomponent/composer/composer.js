// The form under the log: the message box (input.js), the send button, the stop button
// that replaces it while a reply is generated, and a multimodal chat's files (attach.js).

import {MessageInput} from './input.js'
import {FileIntake} from './file-intake.js'

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
  #sent = {text: '', files: []} // the last message sent, until the server took it
  #sendWhenUploaded = false
  #sendWhenOnline = false // Enter pressed while the socket was connecting
  #autofocused = false
  #locale

  /**
   * `uploadKey()`: a promise of the conversation's upload key (multimodal chats); `locale`:
   * the element's language (locale.js), for what the box says.
   */
  constructor(parts, {uploadKey, locale}) {
    this.#locale = locale
    const {form, textarea, sendButton, stopButton, inputNote} = parts
    this.#form = form
    this.#textarea = textarea
    this.#sendButton = sendButton
    this.#stopButton = stopButton
    this.#note = inputNote
    this.files = new FileIntake(parts, {uploadKey, say: text => this.say(text), t: (name, values) => locale.t(name, values), learn: texts => locale.learn(texts)})
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
    this.files.connect(signal)
    // Enter pressed while files were uploading: the message goes once they are up; while the
    // socket was connecting, once it is online (the element's chat-bot-connection says so
    // after the server's welcome, before anything else can be sent).
    this.#form.addEventListener('attachments-changed', () => this.#sendWhenUploaded && this.submit(), {signal})
    const root = this.#form.getRootNode()
    const online = event => event.detail?.state === 'online' && this.#sendWhenOnline && this.submit()
    root.host?.addEventListener('chat-bot-connection', online, {signal})
    // The held message no longer goes: the reader did something else meanwhile (socket.js), or
    // changed the text (Enter holds it again; an emptied box sends nothing).
    root.addEventListener('unhold', () => this.#unhold(), {signal})
    this.#input = new MessageInput(this.#textarea, {onSubmit: () => this.submit(), onActivity: activity, signal})
    this.#textarea.addEventListener('input', () => this.#unhold(), {signal})
    // A preset reply clicked while the socket connects waits in the box, as an example does,
    // and goes as the reader's text (online, the element's own click listener sends it).
    root.addEventListener(
      'click',
      event => {
        const option = event.target.closest?.('.option')
        if (!option || !this.#connecting()) return
        this.restore(option.dataset.value)
        this.submit()
      },
      {signal},
    )
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
   * Send the text in the message box and the attached files, if any; the box empties once
   * they went. Text over the limit stays, and a note says why; while files upload, the
   * message waits for them.
   */
  submit() {
    const text = this.#input.value
    const {files, uploading, failed} = this.files.status()
    this.#sendWhenUploaded = this.#sendWhenOnline = false
    if (!text.trim() && !files.length && !uploading) return
    const length = characters(text)
    if (length > this.#limit) {
      const locale = this.#locale
      this.say(locale.t('tooLong', {length: locale.number(length), limit: locale.number(this.#limit)}))
      return
    }
    if (failed) {
      this.say(this.#locale.t('failedUploads'))
      return
    }
    if (uploading) {
      this.#sendWhenUploaded = true
      this.say(this.#locale.t(uploading === 1 ? 'sendingFile' : 'sendingFiles'), true)
      return
    }
    if (this.#send(text, files)) {
      this.files.release(this.#sent.files)
      this.#sent = {text, files: this.files.take()}
      this.#input.clear()
      this.say('')
    } else if (this.#connecting()) {
      // Held in the box, as for uploads: it goes once, when the socket is online.
      this.#sendWhenOnline = true
      this.say(this.#locale.t('sendingOnline'), true)
    }
  }

  // A held message stays in the box, not sent; the note saying it would be goes.
  #unhold() {
    this.#sendWhenOnline = false
    this.say('')
  }

  // True while the element (this form's shadow host) is (re)connecting its socket and no
  // reply runs: a send goes later.
  #connecting() {
    const element = this.#form.getRootNode().host
    return /^(connecting|offline)$/.test(element?.connectionState) && !element.generating
  }

  /**
   * The server refused the message sent from this box: its text and files come back (the
   * text unless the reader has typed something else meanwhile), and `why` shows under the box.
   */
  giveBack(text, why) {
    if (!this.#input.value.trim()) this.#input.value = text || this.#sent.text
    this.files.restore(this.#sent.files).then(note => note && this.say(`${why} ${note}`))
    this.#sent = {text: '', files: []}
    this.say(why)
    this.focus()
  }

  /**
   * Show `text` under the box (empty: nothing); `waiting`: it says the message will go
   * (`data-waiting`, for a calmer style than a refusal's).
   */
  say(text, waiting = false) {
    if (this.#note.textContent !== text) this.#note.textContent = text
    this.#note.hidden = !text
    this.#note.toggleAttribute('data-waiting', waiting)
  }

  focus(options) {
    this.#textarea.focus(options)
  }

  /**
   * config.autofocus, once per element: later configs must not steal focus. The frame is
   * hidden (cannot take focus) until styles.css has loaded, which may be later.
   */
  autofocusOnce({frame, shown}, element) {
    if (this.#autofocused) return
    this.#autofocused = true
    const focus = () => element.isConnected && element.focus({preventScroll: true})
    if (frame.hidden) shown.then(focus)
    else focus()
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
