// Examples (config.examples): cards in the empty chat that start the conversation. Shown
// with the placeholder, so only while the conversation is empty.

/** Show `examples` (`[{text, label, icon, files?}]`) as cards in `container`; none hides it. */
export function showExamples(container, examples) {
  const list = Array.isArray(examples) ? examples : []
  const cards = []
  list.forEach((example, index) => {
    if (example && typeof example.text === 'string') cards.push(card(example, index))
  })
  container.replaceChildren(...cards)
  container.hidden = !cards.length
}

/**
 * Call `pick(index, text, inputs)` when the reader clicks a card of `container` (`inputs`: the
 * example's values for the additional inputs, or null), until `signal` aborts.
 */
export function connectExamples(container, pick, signal) {
  container.addEventListener(
    'click',
    event => {
      const button = event.target instanceof Element ? event.target.closest('.example') : null
      const inputs = button?.dataset.inputs ? JSON.parse(button.dataset.inputs) : null
      if (button && container.contains(button)) pick(Number(button.dataset.index), button.dataset.text, inputs)
    },
    {signal},
  )
}

function card(example, index) {
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'example'
  button.dir = 'auto' // its own text's direction, whatever the element's language
  button.setAttribute('part', 'example')
  button.dataset.index = String(index)
  button.dataset.text = example.text
  // inputs-panel.js, which knows the inputs' labels and defaults, adds the line of what it sets.
  if (Array.isArray(example.inputs)) button.dataset.inputs = JSON.stringify(example.inputs)
  // A multimodal example's files: its first image stands in for an icon, and their names show.
  const files = Array.isArray(example.files) ? example.files.filter(f => typeof f?.name === 'string') : []
  const image = files.find(f => String(f.mime_type).startsWith('image/') && typeof f.url === 'string')
  const iconURL = typeof example.icon === 'string' && example.icon ? example.icon : image?.url
  if (iconURL) {
    const icon = document.createElement('img')
    icon.className = 'example-icon'
    icon.setAttribute('part', 'example-icon')
    icon.alt = '' // decorative: the card's text names it
    icon.src = iconURL
    button.append(icon)
  }
  const label = typeof example.label === 'string' && example.label ? example.label : example.text
  if (label) button.append(span('example-text', label))
  if (files.length) button.append(span('example-files', files.map(f => f.name).join(', ')))
  return button
}

function span(className, text) {
  const node = document.createElement('span')
  node.className = className
  node.textContent = text
  return node
}
