// Editing a message where it stands: its content gives way to a text box with Cancel and
// Send (Save for a reply) until one of them, Enter or Escape. One editor at a time.

import {setLabel, setText} from '../i18n/strings.js'

/**
 * Open an editor on `bubble` (a message's `.bubble`) holding `text`.
 *
 *     const editor = openEditor(bubble, 'Hello', {saveLabel: 'send', save: text => ..., cancel: () => ...})
 *     editor.busy = true    // sent: Save waits for the server's answer
 *     editor.close()
 *
 * `saveLabel` names the save button's text (strings.js). `save(text)` gets the edited text (never blank); `cancel()` is the reader giving up.
 */
export function openEditor(bubble, text, {saveLabel, save, cancel}) {
  const form = document.createElement('form')
  form.className = 'editor'
  form.setAttribute('part', 'editor')
  const textarea = document.createElement('textarea')
  textarea.className = 'editor-input'
  textarea.setAttribute('part', 'editor-input')
  setLabel(textarea, 'editMessage', false)
  textarea.value = text
  const row = document.createElement('div')
  row.className = 'editor-buttons'
  const cancelButton = document.createElement('button')
  cancelButton.type = 'button'
  cancelButton.className = 'editor-cancel'
  cancelButton.setAttribute('part', 'editor-cancel')
  setText(cancelButton, 'cancel')
  const saveButton = document.createElement('button')
  saveButton.type = 'submit'
  saveButton.className = 'editor-save'
  saveButton.setAttribute('part', 'editor-save')
  setText(saveButton, saveLabel)
  row.append(cancelButton, saveButton)
  form.append(textarea, row)
  bubble.classList.add('editing')
  bubble.append(form)

  const blank = () => !textarea.value.trim()
  const update = () => {
    saveButton.disabled = editor.busy || blank()
  }
  form.addEventListener('submit', event => {
    event.preventDefault()
    if (!editor.busy && !blank()) save(textarea.value)
  })
  cancelButton.addEventListener('click', () => cancel())
  textarea.addEventListener('input', update)
  textarea.addEventListener('keydown', event => {
    if (event.key === 'Escape') {
      event.preventDefault()
      event.stopPropagation()
      cancel()
    } else if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      form.requestSubmit()
    }
  })
  // Focus at the end of the text, as where the reader left it.
  textarea.focus({preventScroll: false})
  textarea.setSelectionRange(text.length, text.length)

  let busy = false
  const editor = {
    get busy() {
      return busy
    },
    set busy(value) {
      busy = value
      textarea.readOnly = value
      update()
    },
    get text() {
      return textarea.value
    },
    close() {
      form.remove()
      bubble.classList.remove('editing')
    },
  }
  update()
  return editor
}
