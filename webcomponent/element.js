// <chat-bot>'s public API and lifecycle. It only wires the features, a module each: the
// conversation (conversation.js, render.js), the form (composer.js), autoscroll (scroll.js),
// the server link (socket.js) and the options (config.js), over the parts of parts.js.

import {Composer} from './composer.js'
import {DEFAULT_CONFIG, applyConfig, applyDirection, avatars, uploadURL, withDefaults} from './config.js'
import {Conversation} from './conversation.js'
import {emit} from './events.js'
import {connectExamples, showExamples} from './examples.js'
import {Lazy} from './lazy.js'
import {Locale, languageOf, mergeStrings, watchPageLanguage} from './locale.js'
import {connectMessageActions, copyTranscript, decorateCodeBlocks} from './message-actions.js'
import {createParts} from './parts.js'
import * as protocol from './protocol.js'
import {parseHTML, setTrustedTypesPolicy} from './html.js'
import {SavedConversation} from './persist.js'
import {SavedHistory} from './saved-history.js'
import {LogScroller} from './scroll.js'
import {ChatSocket} from './socket.js'
import {TurnNotices} from './turn-notices.js'

/**
 * A chat conversation: a message log, streamed replies and a message box.
 *
 * With `src`, it talks to a flask-chatbot blueprint mounted there: it loads
 * `${src}/config.json` and opens the WebSocket named in it (docs/protocol.md). Without
 * `src` it connects to nothing and a page drives it: `applyFrame()` shows server frames,
 * `chat-bot-submit` and `chat-bot-stop` tell the page what the user does.
 *
 *     <script type="module" src="/chat/static/chat-bot.js"></script>
 *     <chat-bot src="/chat"></chat-bot>
 *
 * Its public API (attributes, properties, methods, events, slots, parts and custom
 * properties) is declared in custom-elements.json, beside this file, and typed in
 * chat-bot.d.ts; docs/element.md explains it. tests/test_element_package.py holds the three
 * to the code.
 */
export class ChatBotElement extends HTMLElement {
  static observedAttributes = ['src', 'lang']

  /** Register the element: `ChatBotElement.define()` or `define('my-chat', registry)`. */
  static define(tag = 'chat-bot', registry = customElements) {
    registry.define(tag, this)
    return this
  }

  /** Server HTML goes through `policy.createHTML()` (pages enforcing Trusted Types; docs/element.md). */
  static setCSPTrustedTypesPolicy(policy) {
    setTrustedTypesPolicy(policy)
  }

  #controller = null // one per connectedCallback, aborted in disconnectedCallback
  #config = {...DEFAULT_CONFIG}
  #saved = null // SavedConversation: what a reload restores (with `src`, unless persist="none")
  #pageId // the id the page gave the element, before config.json's elem_id may set one

  // Created once in #build(): the shadow DOM parts and the features that drive them.
  #built = false
  #parts
  #conversation
  #composer
  #scroller
  #socket
  #inputs
  #outputs
  #notices
  #history
  #locale
  #strings = {} // the page's overrides of the element's texts
  #stopWatchingPage = null // a page switching its language (<html lang>) switches the element's

  constructor() {
    super()
    this.attachShadow({mode: 'open'})
  }

  connectedCallback() {
    this.#pageId ??= this.id
    this.#build()
    this.#controller = new AbortController()
    const {signal} = this.#controller
    const send = (text, files) => !this.generating && !this.#socket.holdSubmit() && this.#conversation.submit(text, null, null, files)
    this.#composer.connect(signal, {send, stop: () => this.stop(), activity: () => this.#socket.wake()})
    this.#scroller.connect(signal)
    const conversation = this.#conversation
    connectMessageActions(this.#parts.log, {
      option: (value, element) => !this.generating && !this.#socket.holdSubmit() && conversation.submit(value, element?.dataset.id),
      messageText: element => conversation.list.copyTextOf(element),
      copied: element => conversation.copied(element),
      feedback: (element, value) => {
        conversation.feedback(element, value)
        this.#saved?.schedule()
      },
      retry: () => conversation.retry() && this.#composer.focus(),
      undo: () => {
        const text = conversation.undo()
        if (text !== null) this.#composer.restore(text)
      },
      edit: element => conversation.edits.begin(element),
      version: (element, step) => conversation.edits.step(element, step) && this.#saved?.schedule(),
      selectable: () => this.#config.selectable === true,
      select: element => conversation.selected(element),
    }, signal)
    // The conversation is saved for a reload when the page goes away, even mid-reply.
    addEventListener('pagehide', () => this.#saved?.save(), {signal})
    const copyAll = this.#parts.copyAllButton
    copyAll.addEventListener('click', () => copyTranscript(copyAll, conversation.list.transcript(), this.#config.watermark), {signal})
    this.#parts.clearButton.addEventListener('click', () => this.clear(), {signal})
    connectExamples(this.#parts.examples, (index, text, inputs) => this.#pickExample(index, text, inputs), signal)
    this.#openSocket()
    this.#autofocus()
    this.#stopWatchingPage = watchPageLanguage(() => this.#applyLanguage())
    this.#applyLanguage() // the page's, now that the element is in it
  }

  disconnectedCallback() {
    this.#stopWatchingPage?.()
    this.#closeSocket()
    this.#controller?.abort()
    this.#controller = null
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue || !this.#controller) return
    if (name === 'lang') this.#applyLanguage()
    if (name === 'src') {
      this.#closeSocket()
      this.#openSocket()
    }
  }

  // -- public API -------------------------------------------------------------------

  get src() {
    return this.getAttribute('src') ?? ''
  }

  set src(value) {
    if (value === null || value === undefined || value === '') this.removeAttribute('src')
    else this.setAttribute('src', value)
  }

  get messages() {
    return this.#conversation?.messages ?? []
  }

  set messages(list) {
    this.#build()
    this.#conversation.replace(list)
  }

  get config() {
    return structuredClone(this.#config)
  }

  set config(value) {
    this.#config = withDefaults(value)
    if (this.#built) this.#applyConfig()
  }

  /** Overrides of the element's own texts: `{name: text}`, or `{lang: {name: text}}` for one language. */
  get strings() {
    return structuredClone(this.#strings)
  }

  set strings(value) {
    this.#strings = value && typeof value === 'object' ? structuredClone(value) : {}
    if (this.#built) this.#applyLanguage()
  }

  /** The language the element speaks (a built-in locale, or English). */
  get language() {
    return this.#locale?.lang ?? 'en'
  }

  get generating() {
    return this.#conversation?.generating ?? false
  }

  get connectionState() {
    return this.#socket?.state ?? null
  }

  /**
   * Show a server frame (`welcome`, `message`, `patch`, `done`, `idle`, `error`) as if it
   * came from the socket. Pages with their own backend feed the element this way.
   */
  applyFrame(frame) {
    this.#build()
    if (!frame || typeof frame !== 'object') return
    if (frame.type === protocol.OUTPUT) this.#outputs.use(pane => pane.apply(frame))
    else if (this.#notices.apply(frame)) return
    else if (this.#conversation.apply(frame)) this.#contentChanged()
  }

  /**
   * Show `message` (`{role, content, html?, status?, metadata?, options?, id?}`; without `html`
   * the content shows as plain text) at the end of the conversation, or update the message of
   * the same `id`. Returns its id. For pages that drive the element themselves: a blueprint
   * behind `src` hears of it at the next reconnect only.
   */
  addMessage(message) {
    this.#build()
    const id = typeof message?.id === 'string' && protocol.ID_PATTERN.test(message.id) ? message.id : protocol.newMessageId()
    this.applyFrame({type: protocol.MESSAGE, message: {status: 'done', ...message, id}})
    return id
  }

  /** Change message `id` (its `content`, `html`, `status`, `metadata`...); false if there is none. */
  updateMessage(id, changes) {
    const current = this.messages.find(message => message.id === id)
    if (!current) return false
    // New content without new HTML shows as text, not under the old HTML.
    const html = 'html' in changes || !('content' in changes) ? {} : {html: null}
    this.applyFrame({type: protocol.MESSAGE, message: {...current, ...html, ...changes, id}})
    return true
  }

  /**
   * Send `text` as the user's message, as if typed and submitted. Returns the new
   * message's id, or null when it cannot be sent now (empty, generating, offline).
   */
  send(text) {
    this.#build()
    return this.#conversation.submit(String(text ?? ''))
  }

  /** Ask to stop the reply being generated. True if a stop was requested. */
  stop() {
    if (!this.generating || this.#composer.stopping) return false
    const event = emit(this, 'stop', {id: this.#conversation.list.streamingId()}, true)
    if (event.defaultPrevented) return false
    this.#socket.send(protocol.stop())
    this.#composer.stopping = true // until the `idle` frame
    this.#composer.focus() // the stop button is going: focus must not fall to <body>
    return true
  }

  /**
   * Empty the conversation (stopping a reply being generated) and tell the server
   * (`clear`). Fires a cancelable `chat-bot-clear`; false if it was prevented.
   */
  clear() {
    this.#build()
    if (emit(this, 'clear', {}, true).defaultPrevented) return false
    if (this.generating) this.stop()
    this.#conversation.replace([], protocol.clear())
    this.#composer.focus()
    this.#saved?.schedule()
    return true
  }

  /** Focus the message box. */
  focus(options) {
    this.#build()
    this.#composer.focus(options)
  }

  /** Scroll to the newest message and follow new content again. */
  scrollToLatest() {
    if (this.#built) this.#scroller.scrollToLatest()
  }

  // -- wiring ---------------------------------------------------------------------------

  #build() {
    if (this.#built) return
    this.#built = true
    this.#locale = new Locale(this.shadowRoot)
    const parts = (this.#parts = createParts(this.#applyLanguage(false)))
    this.#conversation = new Conversation(this, parts, {
      send: frame => this.#socket.send(frame),
      canSend: () => this.#socket.canSend,
      online: action => this.#socket.whenOnline(action),
      focusInput: () => this.#composer.focus(),
      refused: (text, why) => this.#composer.giveBack(text, why),
      inputs: () => this.#inputs.value?.values() ?? null,
      shown: () => {
        this.#scroller.follow()
        this.#contentChanged()
      },
      turnEnded: () => {
        this.#composer.stopping = false
        this.#updateControls()
        this.#saved?.schedule()
      },
    })
    // An upload waits for the conversation's key: the socket wakes (if idle) to get it.
    this.#composer = new Composer(parts, {
      uploadKey: () => (this.#socket.wake(), this.#conversation.whenUploadKey()),
      locale: this.#locale,
    })
    this.#inputs = new Lazy(() => import('./inputs-panel.js').then(({InputsPanel}) => new InputsPanel(parts.inputsPanel))) // only with some
    const html = {parseHTML, decorateCodeBlocks} // outputs.js, a bundle of its own, shares these
    this.#outputs = new Lazy(() => import('./outputs.js').then(({OutputsPane}) => new OutputsPane(this, parts.outputs, parts.frame, html))) // only with some
    this.#notices = new TurnNotices(parts, this.#locale)
    this.#history = new SavedHistory(parts, {
      conversation: this.#conversation,
      generating: () => this.generating,
      focus: () => this.#composer.focus(),
      locale: this.#locale,
    })
    this.#scroller = new LogScroller(parts.log, parts.scrollButton, () => this.#config.autoscroll !== false)
    this.#socket = new ChatSocket(this, parts.status, {
      hello: () => this.#conversation.hello(),
      stateChanged: status => this.#updateControls(status),
      interrupted: () => this.#conversation.interrupt(),
    })
    this.shadowRoot.append(parts.stylesheet, parts.frame)
    this.#applyConfig()
  }

  #applyConfig() {
    const config = this.#config
    applyConfig(this.#parts, config, this)
    this.#composer.limit = config.max_message_chars
    this.#composer.files.configure(config, uploadURL(config, this.src))
    if (typeof config.textbox_value === 'string') this.#composer.prefill(config.textbox_value)
    this.#conversation.list.configure(config, avatars(config))
    showExamples(this.#parts.examples, config.examples)
    if (config.additional_inputs?.length || this.#inputs.value) {
      this.#inputs.use(panel => panel.show(config.additional_inputs, config.additional_inputs_accordion))
    }
    if (config.additional_outputs?.length || this.#outputs.value) this.#outputs.use(pane => pane.show(config.additional_outputs))
    this.#notices.mode = config.show_progress
    this.#history.configure(config, this.src, this.#pageId)
    this.#applyLanguage()
    // The conversation a new page starts with (Chatbot(value=...)), unless it shows one.
    if (Array.isArray(config.value) && config.value.length && !this.#conversation.list.size) {
      this.#conversation.replace(config.value)
    }
    this.#updateControls()
    this.#autofocus()
  }

  // The element's language and texts (locale.js), then its direction. Resolves once in place.
  #applyLanguage(withParts = true) {
    const config = this.#config
    return this.#locale
      .set(languageOf(this, config), mergeStrings(config.strings, this.#strings))
      .then(() => withParts && applyDirection(this.#parts.frame, this, config, this.#locale.dir))
  }

  // An example card: the server's example_select listeners hear of it, then its text goes in
  // the message box and, with run_examples_on_click, is sent from there (as if typed: an idle
  // socket wakes and the text goes once it is back).
  #pickExample(index, text, inputs) {
    if (emit(this, 'example', {index, text}, true).defaultPrevented) return
    this.#socket.send(protocol.example(index))
    if (inputs) this.#inputs.use(panel => panel.set(inputs)) // its values for the additional inputs
    // A cached example always runs (Gradio's rule); sent directly, the server knows which it
    // is. So does one with files (they are the server's): it goes once the socket can send.
    const files = this.#config.examples?.[index]?.files?.length > 0
    if (files) return this.#socket.whenOnline(() => this.#conversation.submit(text, null, index, [], true))
    const run = this.#config.cache_examples === true || this.#config.run_examples_on_click !== false
    if (run && !this.generating && !this.#socket.holdSubmit() && this.#conversation.submit(text, null, index)) return
    this.#composer.restore(text)
    if (run) this.#composer.submit()
  }

  // config.autofocus: the message box, once per element (composer.js).
  #autofocus() {
    if (this.#config.autofocus && this.isConnected && this.#controller) this.#composer.autofocusOnce(this.#parts, this)
  }

  #openSocket() {
    if (!this.src) return this.#updateControls()
    this.#saved = SavedConversation.open(this, this.#conversation, this.#pageId)
    this.#socket.open(this.src)
  }

  #closeSocket() {
    if (!this.#built) return
    this.#saved?.save()
    this.#saved = null
    this.#socket.close()
    this.#updateControls()
  }

  #contentChanged() {
    this.#updateControls()
    this.#scroller.schedule()
    this.#saved?.schedule()
    this.#history.changed()
  }

  // `status`: the socket's, passed in while a connection reports its first state.
  #updateControls(status = this.#socket.status()) {
    this.#socket.show(status)
    this.#composer.show({generating: this.generating, offline: status.offline})
    this.#parts.frame.toggleAttribute('data-generating', this.generating)
    this.#notices.generating = this.generating // the turn's status comes and goes with it
    // Screen readers wait for the whole reply instead of reading every token of it. Written
    // only when it changes: this runs for every patch of a stream.
    const busy = String(this.generating)
    if (this.#parts.log.getAttribute('aria-busy') !== busy) this.#parts.log.setAttribute('aria-busy', busy)
  }
}
