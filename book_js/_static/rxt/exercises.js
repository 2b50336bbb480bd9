/* Answer boxes for the exercises on the web page, checked in the browser: no kernel, no network.
 *
 * An exercise cell, as the page shows it, ends in `check_...(answer)` with `answer = None`: its output is a
 * `<p class="rxt-feedback" data-rxt-exercise="{...}">` ("Your turn."), where the attribute is the exercise as
 * `Exercise.export()` (resnext_teach/book/exercises/core.py) wrote it when the book was built: the kind of answer, the
 * right answer and each slip's value for the sizes of that call, and every message the Python check can give. Under
 * each such paragraph this script adds a box that fits the answer (a text field for a number or a list, a checkbox per
 * letter for a choice), a Check button (Enter works too) and a polite live region with the verdict.
 *
 * `verdict(spec, text)` is a pure function: the same verdict and message as the Python check gives
 * `core.box_answer(text)`, the value the box's text stands for (tests/test_answer_boxes.py runs both on every exercise
 * of the book and on odd answers). The messages come from the export; the few `diagnose` functions of the chapters'
 * modules (which say which member of a list is off) are ported below, under their Python names, and tested the same
 * way. The file also loads in Node.js (module.exports), for those tests.
 */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else if (typeof document !== 'undefined') {
    root.rxtExercises = api;
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', api.enhanceAll);
    else api.enhanceAll();
  }
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  // Python's str.isspace() (what str.strip() and re's \s take away), which JavaScript's \s differs from.
  const SPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
  const IS_SPACE = new RegExp(`^[${SPACE}]$`);
  const STRIP = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
  const ITEMS = new RegExp(`[,${SPACE}]+`);
  const WHOLE_PART = '(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)';
  const INT = new RegExp(`^[+-]?${WHOLE_PART}$`);
  const FLOAT = new RegExp(`^[+-]?(?:(?:${WHOLE_PART}\\.[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?` +
    `|${WHOLE_PART}[eE][+-]?[0-9]+|nan|inf|infinity)$`, 'i');
  const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

  // --- what the box's text stands for (core.box_answer) ------------------------------------------------------------

  /** A number as core._box_number reads it: {t: 'int', v: BigInt}, {t: 'float', v: Number} or {t: 'str'}. */
  function boxNumber(text, maxDigits) {
    if (INT.test(text)) {
      const digits = text.replace(/,/g, '');
      if (digits.replace(/^[+-]/, '').length <= maxDigits) return {t: 'int', v: BigInt(digits)};
      return {t: 'float', v: Number(digits)};
    }
    if (FLOAT.test(text)) {
      const s = text.replace(/,/g, '').toLowerCase();
      const bare = s.replace(/^[+-]/, '');
      if (bare === 'nan') return {t: 'float', v: NaN};
      if (bare === 'inf' || bare === 'infinity') return {t: 'float', v: s[0] === '-' ? -Infinity : Infinity};
      return {t: 'float', v: Number(s)};
    }
    return {t: 'str'};
  }

  function strip(text) {
    return String(text).replace(STRIP, '');
  }

  // --- Python's ways of writing things -----------------------------------------------------------------------------

  function pyRepr(ch) { // repr() of a one-character str
    if (ch === "'") return '"\'"';
    if (ch === '\\') return "'\\\\'";
    const named = {'\t': '\\t', '\n': '\\n', '\r': '\\r'}[ch];
    if (named) return `'${named}'`;
    if (!NOT_PRINTABLE.test(ch)) return `'${ch}'`;
    const code = ch.codePointAt(0);
    const hex = (n, width) => n.toString(16).padStart(width, '0');
    return code < 0x100 ? `'\\x${hex(code, 2)}'` : code < 0x10000 ? `'\\u${hex(code, 4)}'` : `'\\U${hex(code, 8)}'`;
  }

  function describe(big) { // validation.describe of an int
    const text = big.toString();
    return text.length <= 60 ? text : text.slice(0, 57) + '...';
  }

  function grouped(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  /** format(x, ',.6g'), as Approx.show writes a real answer back. */
  function formatG6(x) {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    const sign = x < 0 || Object.is(x, -0) ? '-' : '';
    const a = Math.abs(x);
    if (a === 0) return sign + '0';
    const [mantissa, e] = a.toExponential(5).split('e');
    const exp = parseInt(e, 10);
    if (exp < -4 || exp >= 6) {
      const m = mantissa.replace(/\.?0+$/, '');
      return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    }
    let [whole, frac = ''] = a.toFixed(5 - exp).split('.');
    frac = frac.replace(/0+$/, '');
    return sign + grouped(whole) + (frac ? '.' + frac : '');
  }

  function capitalized(text) {
    return text.slice(0, 1).toUpperCase() + text.slice(1);
  }

  // --- the chapters' diagnose functions, ported (the Python is the reference; the tests compare them) -------------

  const big = x => BigInt(x);
  const byValue = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

  const DIAGNOSES = {
    // resnext_teach/book/exercises/grouped.py
    'grouped._legal_diagnosis'(given, expected, values) {
      const cIn = big(values.in_channels), cOut = big(values.out_channels);
      const want = new Set(expected.map(String));
      const have = new Set(given.map(String));
      for (const g of given.filter(g => !want.has(String(g))).sort(byValue)) {
        if (g <= 0n) return `groups=${describe(g)} is not allowed: the number of groups is a positive integer.`;
        let rule = cIn % g !== 0n ? `groups=${g} must divide in_channels=${cIn}`
          : `groups=${g} must divide out_channels=${cOut}`;
        if (cIn % g !== 0n && cOut % g === 0n) {
          rule += ` (it divides out_channels=${cOut}, but G must divide both channel counts)`;
        } else if (cOut % g !== 0n && cIn % g === 0n) {
          rule += ` (it divides in_channels=${cIn}, but G must divide both channel counts)`;
        }
        return `${describe(g)} is not legal: ${rule}.`;
      }
      const missing = expected.filter(g => !have.has(String(g)));
      let count = `${missing.length} legal value${missing.length > 1 ? 's are' : ' is'} missing`;
      count = capitalized(count);
      if (missing.some(g => g === 1n)) return `${count}. Is groups=1 (a standard convolution) in your answer?`;
      const largest = expected.reduce((a, b) => (a > b ? a : b));
      if (missing.some(g => g === largest)) {
        const which = missing.length === 1 ? 'The largest legal value is missing' : `${count}, the largest among them`;
        return `${which}. What is the largest number that divides both ${cIn} and ${cOut}?`;
      }
      return `${count}. Check every number up to the largest legal G, the largest number that divides both ${cIn} ` +
        `and ${cOut}: not only powers of 2.`;
    },
    'grouped._perturb_diagnosis'(given, expected, values) {
      const cIn = big(values.in_channels), cOut = big(values.out_channels), groups = big(values.groups);
      const perIn = cIn / groups, perOut = cOut / groups, n = BigInt(given.length);
      if (given.some(o => o < 0n || o >= cOut)) return `Output channels are numbered 0 to ${cOut - 1n}.`;
      if (n === perIn && perIn !== perOut) {
        return `You gave ${n} channels: that is how many inputs a group has. How many outputs does a group make?`;
      }
      if (n !== perOut) return `A group makes C_out/G output channels; you gave ${n}.`;
      const group = big(values.perturbed_input) / perIn;
      const outputsOf = g => Array.from({length: Number(perOut)}, (_, i) => g * perOut + BigInt(i));
      const sameSet = (a, b) => a.length === b.length && a.every(x => b.includes(x));
      if ([group - 1n, group + 1n].some(g => sameSet(given, outputsOf(g)))) {
        return 'Right size, but one group off: groups and channels are numbered from 0 (group 0 holds the first ' +
          `${perIn} input channels).`;
      }
      return 'Right number of channels, but not the outputs of the input channel\'s group. Which group holds that ' +
        'input channel (count from 0), and which output channels does that group make?';
    },
    // resnext_teach/book/exercises/convolution.py
    'convolution._shape_diagnosis'(shape, expected) {
      if (shape.length === 3) {
        return 'A Conv2d weight has four axes. Each filter spans every input channel, so one axis counts the input ' +
          'channels, next to the output channels and the kernel\'s height and width.';
      }
      if (shape.length !== 4) {
        return 'A Conv2d weight has four axes: (output channels, input channels, kernel height, kernel width).';
      }
      const sorted = a => a.slice().sort(byValue).join(',');
      if (sorted(shape) === sorted(expected)) {
        return 'Right numbers, wrong order: the axes are (output channels, input channels, kernel height, kernel ' +
          'width).';
      }
      if (shape[0] === expected[0] && shape[1] === expected[1]) {
        return 'The channel axes are right; check the kernel\'s height and width. Stride and padding change the ' +
          'output size, not the weight.';
      }
      const names = ['output channels', 'input channels', 'kernel height', 'kernel width'];
      return `Check the axis for ${names.filter((_, i) => shape[i] !== expected[i]).join(', ')}.`;
    },
    // resnext_teach/book/exercises/model.py
    'model._sizes_diagnosis'(sizes, expected) {
      const n = expected.length;
      if (sizes.length !== n) {
        return `Give ${n} numbers, one per stage from conv2 (layer1) to conv5 (layer4); you gave ${sizes.length}.`;
      }
      if (sizes[0] === expected[0]) {
        const stage = sizes.findIndex((s, i) => s !== expected[i]) + 2;
        return `The first size is right; stage ${stage} (conv${stage}) is not. Each of conv3, conv4 and conv5 halves ` +
          'the size once (a 3×3 convolution with stride 2 and padding 1).';
      }
      return 'The first size is off. Follow the image through the stem: a 7×7 convolution with stride 2, then a ' +
        '3×3 max-pool with stride 2.';
    },
  };

  // --- the verdict -------------------------------------------------------------------------------------------------

  const turn = message => ({head: 'Your turn.', message, correct: false, answered: false});
  const notYet = message => ({head: 'Not yet.', message, correct: false, answered: true});
  const correct = message => ({head: 'Correct!', message, correct: true, answered: true});

  /** A whole number answer (BigInt) equals a target written by core._encoded: a decimal string or a number. */
  function sameWhole(value, target) {
    return typeof target === 'string' ? value === BigInt(target) : value == target; // eslint-disable-line eqeqeq
  }

  function judge(spec, value, same, outOfRange, rightMessage) {
    if (same(value, spec.expected)) return correct(rightMessage());
    for (const [message, slip] of spec.slips) if (same(value, slip)) return notYet(message);
    if (spec.diagnose) {
      const port = DIAGNOSES[spec.diagnose];
      const wholes = t => t.map(x => (typeof x === 'string' ? BigInt(x) : x));
      if (!port) return notYet(`${spec.method} (The notebook's check says more about this answer.)`);
      const message = port(value, wholes(spec.expected), spec.values || {});
      if (message) return notYet(message);
    }
    if (outOfRange(value)) return notYet(spec.positive);
    return notYet(spec.method);
  }

  function judgeWhole(spec, raw) {
    let value;
    if (raw.t === 'int') {
      value = raw.v;
    } else if (raw.t === 'float' && Number.isFinite(raw.v) && Number.isInteger(raw.v)) {
      value = BigInt(raw.v);
    } else {
      if (raw.t === 'float' && Number.isFinite(raw.v)) { // Whole.near_refused: the exact root of a rounded answer
        for (const [message, slip] of spec.slips) {
          const near = typeof slip === 'number' && !Number.isInteger(slip) && Math.abs(raw.v - slip) < 0.01;
          if (near) return notYet(message);
        }
      }
      const forms = spec.forms;
      return notYet(raw.t === 'str' ? forms.str : Number.isFinite(raw.v) ? forms.fraction : forms.nonfinite);
    }
    return judge(spec, value, sameWhole, v => v <= 0n && BigInt(spec.expected) > 0n, () => spec.right);
  }

  function judgeReal(spec, raw) {
    if (raw.t === 'str') return notYet(spec.forms.str);
    const value = Number(raw.v);
    if (raw.t === 'int' && !Number.isFinite(value)) return notYet(spec.forms.huge);
    if (!Number.isFinite(value)) return notYet(spec.forms.nonfinite);
    const same = (v, target) => Math.abs(v - target) <= spec.rel * Math.abs(target);
    const echo = () => (spec.right === null ? `${spec.right_prefix}${formatG6(value)}.` : spec.right);
    return judge(spec, value, same, v => v <= 0 && spec.expected > 0, echo);
  }

  function judgeList(spec, text) {
    let inner = text;
    const last = inner[inner.length - 1];
    if (inner.length > 1 && '[({'.includes(inner[0]) && '])}'.includes(last)) inner = inner.slice(1, -1);
    const items = inner.split(ITEMS).filter(Boolean);
    if (items.length > spec.max_members) return notYet(spec.forms.long);
    const values = [];
    for (const item of items) {
      const raw = boxNumber(item, spec.box_digits);
      if (raw.t === 'int') values.push(raw.v);
      else if (raw.t === 'float' && Number.isFinite(raw.v) && Number.isInteger(raw.v)) values.push(BigInt(raw.v));
      else return notYet(raw.t === 'str' ? spec.forms.member_str : spec.forms.member_float);
    }
    if (spec.kind === 'set') {
      const unique = Array.from(new Map(values.map(v => [String(v), v])).values()).sort(byValue);
      const keys = t => new Set(t.map(String));
      const same = (v, target) => {
        const a = keys(v), b = keys(target);
        return a.size === b.size && [...a].every(k => b.has(k));
      };
      return judge(spec, unique, same, () => false, () => spec.right);
    }
    const same = (v, target) => v.length === target.length && v.every((x, i) => sameWhole(x, target[i]));
    return judge(spec, values, same, () => false, () => spec.right);
  }

  function judgeLetters(spec, text) {
    const chosen = Array.from(text.toUpperCase()).filter(ch => !IS_SPACE.test(ch) && ch !== ',');
    const byCode = (a, b) => a.codePointAt(0) - b.codePointAt(0);
    const unknown = Array.from(new Set(chosen.filter(ch => !spec.choices.includes(ch)))).sort(byCode);
    if (unknown.length) {
      const [prefix, one, several] = spec.unknown;
      return notYet(prefix + unknown.slice(0, 3).map(pyRepr).join(', ') + (unknown.length === 1 ? one : several));
    }
    const key = Array.from(new Set(chosen)).sort(byCode).join('');
    const [right, index] = spec.table.answers[key];
    return right ? correct(spec.table.messages[index]) : notYet(spec.table.messages[index]);
  }

  /**
   * The verdict on the box's `text` for the exercise `spec` (the JSON of `Exercise.export()`):
   * {head: 'Correct!' | 'Not yet.' | 'Your turn.', message, correct, answered}. Never throws on any text.
   */
  function verdict(spec, text) {
    const answer = strip(text);
    if (!answer) return turn(spec.empty);
    if (spec.kind === 'letters') return judgeLetters(spec, answer);
    if (spec.kind === 'set' || spec.kind === 'tuple') return judgeList(spec, answer);
    const raw = boxNumber(answer, spec.box_digits);
    return spec.kind === 'real' ? judgeReal(spec, raw) : judgeWhole(spec, raw);
  }

  // --- the box on the page -----------------------------------------------------------------------------------------

  const HINTS = {
    whole: 'A whole number (commas between thousands are fine). Press Enter or Check.',
    real: 'A number, such as 0.25 or 2.5e-3. Press Enter or Check.',
    set: 'Whole numbers separated by commas, like a, b, c, in any order. Press Enter or Check.',
    tuple: 'Whole numbers in order, separated by commas, like a, b, c. Press Enter or Check.',
    letters: 'Tick every letter that applies, then press Check.',
    letter: 'Choose one letter, then press Check.',
  };
  const MARKS = {'Correct!': '\u2714', 'Not yet.': '\u2718', 'Your turn.': '\u270e'};
  // What the "Your turn." paragraph says once its box is there: the page has no cell to run (the notebook's words,
  // "Replace None with your answer, then run the cell again", stay for the notebook and for a page without JavaScript).
  const ON_THE_PAGE = 'Answer in the box below; in the notebook, replace None in the cell above and run it.';
  let count = 0;

  /** "Exercise 2.3": the title of the exercise that the paragraph answers (the last one above it on the page). */
  function exerciseTitle(node) {
    let title = '';
    for (const head of document.querySelectorAll('.exercise .admonition-title, .exercise .caption-number')) {
      if (head.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) {
        const found = head.textContent.match(/Exercise\s+\d+(?:\.\d+)*/);
        if (found) title = found[0].replace(/\s+/, ' ');
      }
    }
    return title;
  }

  function element(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'className' || key === 'textContent' || key === 'htmlFor') node[key] = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function show(region, result) {
    const paragraph = element('p', {className: `rxt-feedback rxt-box-verdict ${result.correct ? 'rxt-right' :
      result.answered ? 'rxt-wrong' : 'rxt-turn'}`}, element('b', {}, `${MARKS[result.head]} ${result.head}`),
    ` ${result.message}`);
    region.replaceChildren(); // emptied first, so that the same verdict twice is announced twice
    setTimeout(() => region.replaceChildren(paragraph), 50);
  }

  /** The box under one "Your turn." paragraph. */
  function enhance(paragraph) {
    let spec;
    try {
      spec = JSON.parse(paragraph.getAttribute('data-rxt-exercise'));
    } catch (error) {
      return null;
    }
    if (!spec || paragraph.nextElementSibling?.classList.contains('rxt-box')) return null;
    const id = `rxt-box-${++count}`;
    const title = exerciseTitle(paragraph);
    const name = `${title ? title + ', y' : 'Y'}our answer: ${spec.what}`;
    const region = element('div', {className: 'rxt-box-result', role: 'status', 'aria-live': 'polite',
      'aria-atomic': 'true', id: `${id}-result`});
    const button = element('button', {type: 'submit', className: 'rxt-box-check'}, 'Check');
    const hint = element('p', {className: 'rxt-box-hint', id: `${id}-hint`}, HINTS[spec.kind] || '');
    const form = element('form', {className: 'rxt-box', novalidate: '', 'data-rxt-kind': spec.kind});
    let read;
    if (spec.kind === 'letters') {
      const boxes = spec.choices.map(letter => element('input', {type: spec.single ? 'radio' : 'checkbox',
        name: id, value: letter, id: `${id}-${letter}`, 'aria-describedby': `${id}-hint`}));
      hint.textContent = spec.single ? HINTS.letter : HINTS.letters;
      const row = element('div', {className: 'rxt-box-row rxt-box-letters'},
        ...boxes.map((box, i) => element('label', {className: 'rxt-box-letter', htmlFor: box.id}, box,
          ` ${spec.choices[i]}`)),
        button);
      form.append(element('fieldset', {}, element('legend', {className: 'rxt-box-label'}, name), hint, row), region);
      read = () => boxes.filter(box => box.checked).map(box => box.value).join('');
      for (const box of boxes) {
        box.addEventListener('keydown', event => {
          if (event.key === 'Enter') {
            event.preventDefault();
            form.requestSubmit();
          }
        });
      }
    } else {
      const input = element('input', {type: 'text', id, className: 'rxt-box-input', autocomplete: 'off',
        autocapitalize: 'off', spellcheck: 'false', 'aria-describedby': `${id}-hint`,
        inputmode: spec.kind === 'whole' ? 'numeric' : spec.kind === 'real' ? 'decimal' : 'text'});
      form.append(element('label', {className: 'rxt-box-label', htmlFor: id}, name), hint,
        element('div', {className: 'rxt-box-row'}, input, button), region);
      read = () => input.value;
    }
    form.addEventListener('submit', event => {
      event.preventDefault();
      let result;
      try {
        result = verdict(spec, read());
      } catch (error) { // never: the tests try odd answers on every exercise; but the reader must hear something
        result = notYet('This answer could not be checked here: run the cell in the notebook to check it.');
      }
      show(region, result);
    });
    const head = paragraph.querySelector('b');
    paragraph.replaceChildren(...(head ? [head, ' '] : []), ON_THE_PAGE);
    paragraph.after(form);
    return form;
  }

  function enhanceAll() {
    document.querySelectorAll('p.rxt-feedback[data-rxt-exercise]').forEach(enhance);
  }

  return {verdict, enhance, enhanceAll, formatG6, pyRepr, DIAGNOSES};
});
