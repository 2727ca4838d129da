// Additional inputs (config.additional_inputs): controls in an accordion under the log whose
// values go with each message, for fn to get after the history (gr.ChatInterface's
// additional_inputs). Built with DOM calls; each control reads back the value the server
// expects (numbers as numbers, choices as the choice's value).
//
// An example card may set the inputs too (its data-inputs). A change the reader cannot see
// would surprise the next message, so what an example sets shows twice: on its card, a line of
// the values it would change, those that differ from the inputs' current values (the defaults
// until the reader edits one: a value the reader typed that the card would overwrite is named
// on it; added here, where the inputs' labels and choices are known, so the cold bundle's
// examples.js stays small); and once clicked, the accordion opens with the fields it changed
// marked, until the reader edits them.

let nextId = 0 // ids for label/description links, unique in the shadow root

/**
 * The accordion `details` (parts.inputsPanel) and its controls.
 *
 *     const panel = new InputsPanel(details)
 *     panel.show(config.additional_inputs, config.additional_inputs_accordion)
 *     panel.values()   // [value, ...] in order, or null when there are none
 *     panel.set([...]) // an example's values
 */
export class InputsPanel {
  #details
  #summary
  #body
  #key = null
  #specs = []
  #controls = [] // per input: {read: () => value, write: value => ..., field}
  #ready // the styles of the cards' lines and the marks (example-values.css) have loaded, or failed to

  constructor(details) {
    this.#details = details
    this.#summary = document.createElement('summary')
    this.#summary.className = 'inputs-summary'
    this.#summary.setAttribute('part', 'additional-inputs-label')
    this.#body = document.createElement('div')
    this.#body.className = 'inputs-body'
    details.append(this.#summary, this.#body)
    // Linked, not in styles.css: only a chat with additional inputs needs them.
    const sheet = document.createElement('link')
    sheet.rel = 'stylesheet'
    sheet.href = new URL('./example-values.css', import.meta.url).href
    this.#ready = new Promise(resolve => {
      sheet.addEventListener('load', resolve, {once: true})
      sheet.addEventListener('error', resolve, {once: true})
    })
    details.getRootNode().append(sheet)
    // The cards' lines follow the reader's edits: they name what a click would change.
    const describe = () => this.#ready.then(() => this.#describeExamples())
    this.#body.addEventListener('input', describe)
    this.#body.addEventListener('change', describe)
  }

  /** Show `specs` (`[{type, label, info, value, ...}]`) in an accordion (`{label, open}`); none hides it. */
  show(specs, accordion) {
    const list = Array.isArray(specs) ? specs.filter(spec => spec && typeof spec.type === 'string') : []
    const key = JSON.stringify([list, accordion?.label])
    if (key !== this.#key) {
      // The same config again keeps the reader's values.
      this.#key = key
      this.#specs = list
      this.#summary.textContent = typeof accordion?.label === 'string' && accordion.label ? accordion.label : 'Additional Inputs'
      this.#details.open = accordion?.open === true
      this.#body.replaceChildren()
      this.#controls = list.map(spec => this.#add(spec))
      this.#details.hidden = !list.length
    }
    // The cards were just made again (chat.js shows them before the inputs).
    this.#ready.then(() => this.#describeExamples())
  }

  /** The values, in order, or null when there are no additional inputs. */
  values() {
    return this.#controls.length ? this.#controls.map(control => control.read()) : null
  }

  /** Show `values` (one per input, in order: an example's) in the controls; open the accordion on
   * those it changed, marked until the reader edits them. */
  set(values) {
    if (!Array.isArray(values)) return
    let changed = false
    this.#controls.forEach((control, index) => {
      if (index >= values.length) return
      const before = JSON.stringify(control.read())
      control.write(values[index])
      const mark = JSON.stringify(control.read()) !== before
      control.field.classList.toggle('set-by-example', mark)
      changed ||= mark
    })
    if (changed) this.#details.open = true
    this.#ready.then(() => this.#describeExamples()) // cards still shown (a fill without sending)
  }

  // Each example card that sets inputs gets a line of the values it would change, those not
  // the inputs' current values ("Temperature: 0.2 · Model: GPT"); none when it changes none.
  #describeExamples() {
    const now = this.values() ?? []
    for (const card of this.#details.getRootNode().querySelectorAll('.example[data-inputs]')) {
      const values = JSON.parse(card.dataset.inputs) // examples.js wrote it: an array
      const text = this.#specs
        .map((spec, index) => (index < values.length && !same(values[index], now[index]) ? `${labelOf(spec)}: ${shown(spec, values[index])}` : ''))
        .filter(Boolean)
        .join(' · ')
      // The line stays the same node: it is redrawn as the reader leaves a field, which may be
      // by pressing this very card (a node taken away under the pointer would lose the click).
      let line = card.querySelector('.example-values')
      if (!line && text) {
        line = document.createElement('span')
        line.className = 'example-values'
        card.append(line)
      }
      if (line && line.textContent !== text) line.textContent = text
      if (line) line.hidden = !text
    }
  }

  #add(spec) {
    const field = document.createElement('div')
    field.className = `field field-${spec.type}`
    field.setAttribute('part', 'additional-input')
    this.#body.append(field)
    const id = `chat-bot-input-${++nextId}`
    const info = typeof spec.info === 'string' && spec.info ? spec.info : null
    const build = BUILDERS[spec.type] ?? BUILDERS.textbox
    // The reader's own edit ends an example's mark: the value is theirs now.
    const unmark = () => field.classList.remove('set-by-example')
    field.addEventListener('input', unmark)
    field.addEventListener('change', unmark)
    return {...build(field, spec, {id, label: labelOf(spec), info}), field}
  }
}

function labelOf(spec) {
  return typeof spec.label === 'string' && spec.label ? spec.label : spec.type
}

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

// A value as the reader knows it: a choice by its text, a checkbox as ✓ or ✗, long text cut.
function shown(spec, value) {
  if (typeof value === 'boolean') return value ? '✓' : '✗'
  const choices = choicesOf(spec)
  const text = chosenOf({value})
    .map(item => choices.find(pair => pair[1] === item)?.[0] ?? String(item))
    .join(', ')
    .replace(/\s+/g, ' ')
  return text.length > 40 ? `${text.slice(0, 39).trimEnd()}…` : text || '—'
}

// Each builds its control in `field` and returns how to read and write its value.
const BUILDERS = {
  textbox(field, spec, names) {
    const multiline = Number.isInteger(spec.lines) && spec.lines > 1
    const input = document.createElement(multiline ? 'textarea' : 'input')
    if (multiline) input.rows = spec.lines
    else input.type = 'text'
    input.value = typeof spec.value === 'string' ? spec.value : ''
    if (typeof spec.placeholder === 'string') input.placeholder = spec.placeholder
    labelled(field, input, names)
    return {read: () => input.value, write: value => (input.value = typeof value === 'string' ? value : '')}
  },
  slider(field, spec, names) {
    const input = number(spec, 'range')
    const shown = document.createElement('output')
    shown.className = 'slider-value'
    shown.value = input.value
    input.addEventListener('input', () => (shown.value = input.value))
    labelled(field, input, names)
    field.querySelector('label').append(' ', shown)
    const write = value => {
      if (typeof value === 'number') input.value = String(value)
      shown.value = input.value
    }
    return {read: () => Number(input.value), write}
  },
  number(field, spec, names) {
    const input = number(spec, 'number')
    if (spec.value === null || spec.value === undefined) input.value = ''
    labelled(field, input, names)
    return {
      read: () => (input.value === '' ? null : Number(input.value)),
      write: value => (input.value = typeof value === 'number' ? String(value) : ''),
    }
  },
  checkbox(field, spec, names) {
    const input = document.createElement('input')
    input.type = 'checkbox'
    input.checked = spec.value === true
    labelled(field, input, names, true)
    return {read: () => input.checked, write: value => (input.checked = value === true)}
  },
  dropdown(field, spec, names) {
    const select = document.createElement('select')
    select.multiple = spec.multiselect === true
    const choices = choicesOf(spec)
    const chosen = chosenOf(spec)
    if (!select.multiple && !chosen.length) select.append(new Option('', '', true, true)) // nothing chosen yet
    choices.forEach(([text, value], index) => {
      const selected = chosen.some(item => item === value)
      select.append(new Option(text, String(index), selected, selected))
    })
    labelled(field, select, names)
    const read = () => {
      const picked = [...select.selectedOptions].filter(option => option.value !== '').map(option => choices[Number(option.value)][1])
      return select.multiple ? picked : (picked[0] ?? null)
    }
    const write = value => {
      const wanted = chosenOf({value})
      for (const option of select.options) option.selected = option.value !== '' && wanted.includes(choices[Number(option.value)][1])
    }
    return {read, write}
  },
  radio(field, spec, names) {
    return choiceGroup(field, spec, names, 'radio')
  },
  checkboxgroup(field, spec, names) {
    return choiceGroup(field, spec, names, 'checkbox')
  },
}

function number(spec, type) {
  const input = document.createElement('input')
  input.type = type
  for (const key of ['minimum', 'maximum', 'step']) {
    if (typeof spec[key] === 'number') input[{minimum: 'min', maximum: 'max', step: 'step'}[key]] = String(spec[key])
  }
  if (typeof spec.value === 'number') input.value = String(spec.value)
  return input
}

// A control with its label (`after`: a checkbox's label follows it) and its info text.
function labelled(field, control, {id, label, info}, after = false) {
  control.id = id
  control.className = 'input-control'
  const text = document.createElement('label')
  text.htmlFor = id
  text.className = 'input-label'
  text.textContent = label
  if (after) field.append(control, text)
  else field.append(text, control)
  describedBy(field, control, info, id)
}

function describedBy(field, control, info, id) {
  if (!info) return
  const note = document.createElement('div')
  note.className = 'input-info'
  note.id = `${id}-info`
  note.textContent = info
  field.append(note)
  control.setAttribute('aria-describedby', note.id)
}

// Radio buttons or checkboxes in a fieldset: one value (radio) or the list of those checked.
function choiceGroup(field, spec, {id, label, info}, type) {
  const group = document.createElement('fieldset')
  group.className = 'input-group'
  const legend = document.createElement('legend')
  legend.className = 'input-label'
  legend.textContent = label
  group.append(legend)
  const choices = choicesOf(spec)
  const chosen = chosenOf(spec)
  const boxes = choices.map(([text, value], index) => {
    const option = document.createElement('label')
    option.className = 'input-choice'
    const box = document.createElement('input')
    box.type = type
    box.name = id
    box.value = String(index)
    box.checked = chosen.some(item => item === value)
    option.append(box, ' ', text)
    group.append(option)
    return box
  })
  field.append(group)
  describedBy(field, group, info, id)
  const picked = () => boxes.filter(box => box.checked).map(box => choices[Number(box.value)][1])
  const write = value => {
    const wanted = chosenOf({value})
    for (const box of boxes) box.checked = wanted.includes(choices[Number(box.value)][1])
  }
  return {read: type === 'radio' ? () => picked()[0] ?? null : picked, write}
}

function choicesOf(spec) {
  return Array.isArray(spec.choices) ? spec.choices.filter(pair => Array.isArray(pair) && pair.length === 2) : []
}

function chosenOf(spec) {
  if (Array.isArray(spec.value)) return spec.value
  return spec.value === null || spec.value === undefined ? [] : [spec.value]
}
