// The wire types of <chat-bot>, protocol version 1.
//
// Mirror: flask_chatbot/protocol/frames.py holds the same types as marshmallow schemas on the
// server side. The specification both follow is docs/protocol.md, and both test suites
// read the canonical frames in tests/fixtures/frames.json, so a change here needs the
// same change there.

export const PROTOCOL_VERSION = 1

/** Frames the element sends. */
export const HELLO = 'hello'
export const SUBMIT = 'submit'
export const STOP = 'stop'
export const LIKE = 'like'
export const RETRY = 'retry'
export const UNDO = 'undo'
export const CLEAR = 'clear'
export const COPY = 'copy'
export const SELECT = 'select'
export const EXAMPLE = 'example'
export const EDIT = 'edit'
export const BRANCH = 'branch'

/** Frames the server sends. */
export const WELCOME = 'welcome'
export const MESSAGE = 'message'
export const PATCH = 'patch'
export const DONE = 'done'
export const REMOVE = 'remove'
export const CONVERSATION = 'conversation'
export const OUTPUT = 'output'
export const IDLE = 'idle'
export const STATUS = 'status'
export const TOAST = 'toast'
export const ERROR = 'error'
export const TURN = 'turn'
export const FEEDBACK = 'feedback'

export const SERVER_TYPES = Object.freeze([WELCOME, MESSAGE, PATCH, DONE, REMOVE, CONVERSATION, OUTPUT, IDLE, STATUS, TOAST, ERROR, TURN, FEEDBACK])

/** Message roles and statuses. */
export const USER = 'user'
export const ASSISTANT = 'assistant'
export const SYSTEM = 'system'
export const STREAMING = 'streaming'
export const COMPLETE = 'done'
export const STOPPED = 'stopped'
export const FAILED = 'error'

/** Error codes of `error` frames. */
export const ERROR_CODES = Object.freeze([
  'bad_json',
  'bad_frame',
  'too_large',
  'version',
  'hello_required',
  'busy',
  'fn_error',
  'unknown_message',
  'listener_error',
  'flag_error',
  'invalid',
  'file_refused',
  'server_error',
  'queue_full',
  'interrupted',
])

/**
 * The error codes that answer a frame (so: refuse it). listener_error, flag_error, fn_error and
 * interrupted report something that went wrong after the action was taken.
 */
export const REFUSALS = Object.freeze([
  'bad_json', 'bad_frame', 'too_large', 'invalid', 'file_refused', 'version', 'hello_required', 'busy', 'unknown_message',
  'server_error', 'queue_full',
])

/** The close code of a connection the server closed because nothing happened on it. */
export const CLOSE_IDLE = 4000

/** The close code of a worker that is stopping (flask_chatbot/runtime/shutdown.py): reconnect at once. */
export const CLOSE_RESTART = 1012

/** A message id: 1-64 characters of A-Z a-z 0-9 _ -. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** The id of a conversation (a `welcome`'s `session`), which `hello` sends back. */
export const SESSION_PATTERN = /^[0-9a-f]{16}$/

/** A multimodal conversation's upload key (a `welcome`'s `upload_key`), which `hello` sends back. */
export const UPLOAD_KEY_PATTERN = /^[A-Za-z0-9_-]{32}$/

// A turn's `id`, and the `key` that follows it on a new socket: 128 random bits each.
const TURN_ID = /^[0-9a-f]{32}$/

/** A conversation's live key (a `welcome`'s `live`): `hello` sends it back to show it live in every tab. */
export const LIVE_KEY_PATTERN = TURN_ID

/**
 * `{id, key, seq}` of a turn the element may follow (a `turn` frame's, or what a reload kept),
 * or null when `turn` is not one: `hello` may carry only a well-formed one.
 */
export function followable(turn) {
  const {id, key, seq} = turn ?? {}
  return TURN_ID.test(id) && TURN_ID.test(key) && seq >= 1 && Number.isSafeInteger(seq) ? {id, key, seq} : null
}

/**
 * A fresh id for a user message: 16 hex characters. crypto.getRandomValues, not
 * crypto.randomUUID, because the latter exists only on secure origins.
 */
export function newMessageId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
}

/**
 * `hello`: the history the element holds, as `{id, role, content, metadata?, options?}`
 * (`content` a string, or the object of a file or component the server sent), and the
 * `session` and `uploadKey` an earlier `welcome` gave this conversation (null: none yet).
 * `turn`: the turn the element follows (`{id, key, seq}` as `followable()` gives it, `seq` the
 * last of its frames applied), so that the server sends what came after it; null: none.
 * `live`: the conversation's live key (a `welcome`'s), so that every socket of it shows it live.
 */
export function hello(history, session = null, uploadKey = null, turn = null, live = null) {
  const frame = {type: HELLO, version: PROTOCOL_VERSION, history: historyEntries(history)}
  if (typeof session === 'string' && SESSION_PATTERN.test(session)) frame.session = session
  if (typeof uploadKey === 'string' && UPLOAD_KEY_PATTERN.test(uploadKey)) frame.upload_key = uploadKey
  if (turn) frame.turn = turn
  if (typeof live === 'string' && LIVE_KEY_PATTERN.test(live)) frame.live = live
  return frame
}

function historyEntries(history) {
  return history.map(({id, role, content, metadata, options, feedback}) => {
    const entry = {id, role, content}
    if (metadata) entry.metadata = metadata
    if (options?.length) entry.options = options
    if (feedback) entry.feedback = feedback
    return entry
  })
}

/**
 * `submit`: the user sends `text` as message `id` (`optionOf`: the message whose preset reply
 * it is; `inputs`: the additional inputs' values, or null when there are none; `files`: the
 * ids of the uploads it carries, in a multimodal chat).
 */
export function submit(id, text, optionOf = null, inputs = null, example = null, files = []) {
  const frame = withInputs(optionOf ? {type: SUBMIT, id, text, option_of: optionOf} : {type: SUBMIT, id, text}, inputs)
  if (Number.isInteger(example)) frame.example = example // an example card's text: its reply may be cached
  if (files.length) frame.files = files
  return frame
}

function withInputs(frame, inputs) {
  if (Array.isArray(inputs)) frame.inputs = inputs
  return frame
}

/** `like`: the reader's feedback on message `id` ("Like", "Dislike", a flag), or null to take it back. */
export function like(id, value) {
  return {type: LIKE, id, value}
}

/** `retry`, `undo`, `clear`: generate the last reply again, take the last exchange back, start over. */
export function retry(inputs = null) {
  return withInputs({type: RETRY}, inputs)
}

export function undo() {
  return {type: UNDO}
}

export function clear() {
  return {type: CLEAR}
}

/** `copy`: the reader copied message `id`. */
export function copy(id) {
  return {type: COPY, id}
}

/** `select`: the reader clicked message `id` (sent only when the server listens: config.selectable). */
export function select(id) {
  return {type: SELECT, id}
}

/** `example`: the reader clicked example `index` of config.examples (its text follows as a `submit`, or goes in the message box). */
export function example(index) {
  return {type: EXAMPLE, index}
}

/**
 * `edit`: the reader changed message `id` to `text`. One of their own becomes the new message
 * `newId` (a new version of the turn); an assistant message changes in place (no `newId`).
 */
export function edit(id, text, newId = null, inputs = null) {
  return withInputs(newId ? {type: EDIT, id, text, new_id: newId} : {type: EDIT, id, text}, inputs)
}

/** `branch`: from message `from` on, the conversation is now `messages` (another version of that turn). */
export function branch(from, messages) {
  return {type: BRANCH, from, messages: historyEntries(messages)}
}

/** `stop`: stop the reply being generated. */
export function stop() {
  return {type: STOP}
}

/**
 * Parse a text frame from the server. Returns the frame object, or null when it is
 * not JSON, not an object or of a type this version does not know (such frames are
 * ignored: a newer server may send more than this element understands).
 */
export function parseFrame(text) {
  let frame
  try {
    frame = JSON.parse(text)
  } catch {
    return null
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return null
  return SERVER_TYPES.includes(frame.type) ? frame : null
}
