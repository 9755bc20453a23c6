import { malformedPlaceholders, renderTemplate, templateVariables } from './template';

describe('renderTemplate', () => {
  it('fills a placeholder with a string variable', () => {
    expect(renderTemplate('Hello {{name}}!', { name: 'Ada' })).toBe('Hello Ada!');
  });

  it('allows whitespace inside the braces', () => {
    expect(renderTemplate('Hello {{  name\t}}!', { name: 'Ada' })).toBe('Hello Ada!');
  });

  it('fills dotted built-ins such as contact.email', () => {
    expect(renderTemplate('Mail: {{ contact.email }}', { 'contact.email': 'ada@example.com' })).toBe('Mail: ada@example.com');
  });

  it('fills every occurrence, including repeats', () => {
    expect(renderTemplate('{{a}}-{{b}}-{{a}}', { a: '1', b: '2' })).toBe('1-2-1');
  });

  it('renders a missing variable as [name]', () => {
    expect(renderTemplate('Hi {{ name }}', {})).toBe('Hi [name]');
  });

  it('renders an undefined variable as [name], never "undefined"', () => {
    expect(renderTemplate('Hi {{name}}', { name: undefined })).toBe('Hi [name]');
  });

  it('renders a null variable as [name], never "null"', () => {
    expect(renderTemplate('Mail: {{contact.email}}', { 'contact.email': null })).toBe('Mail: [contact.email]');
  });

  it('stringifies numbers', () => {
    expect(renderTemplate('{{n}} guests, {{price}} EUR, {{zero}}', { n: 4, price: 12.5, zero: 0 })).toBe('4 guests, 12.5 EUR, 0');
  });

  it('renders a non-finite number as [name]', () => {
    expect(renderTemplate('{{n}}', { n: Number.NaN })).toBe('[n]');
  });

  it('renders booleans as yes and no', () => {
    expect(renderTemplate('{{a}}/{{b}}', { a: true, b: false })).toBe('yes/no');
  });

  it('keeps an empty string empty', () => {
    expect(renderTemplate('[{{note}}]', { note: '' })).toBe('[]');
  });

  it('does not re-expand a value that contains a placeholder', () => {
    expect(renderTemplate('You said: {{answer}}', { answer: '{{secret}}', secret: 'hunter2' })).toBe('You said: {{secret}}');
  });

  it('inserts values verbatim, including $ replacement patterns', () => {
    expect(renderTemplate('{{a}}', { a: "$& $1 $' $`" })).toBe("$& $1 $' $`");
  });

  it('reads own properties only, never inherited ones', () => {
    const variables = Object.create({ inherited: 'from the prototype' }) as Record<string, string>;
    expect(renderTemplate('{{inherited}} {{constructor}} {{toString}}', variables)).toBe('[inherited] [constructor] [toString]');
  });

  it('evaluates nothing: an expression is left as written', () => {
    expect(renderTemplate('{{ 1 + 1 }} {{ name.toUpperCase() }}', { name: 'ada' })).toBe('{{ 1 + 1 }} {{ name.toUpperCase() }}');
  });

  it('leaves text without placeholders unchanged', () => {
    expect(renderTemplate('No braces { here } {{', { a: 'x' })).toBe('No braces { here } {{');
  });
});

describe('templateVariables', () => {
  it('lists distinct names in order of first use, dotted names included', () => {
    expect(templateVariables('{{ b }} {{a}} {{b}} {{contact.email}}')).toEqual(['b', 'a', 'contact.email']);
  });

  it('ignores malformed placeholders', () => {
    expect(templateVariables('{{ first name }} {{1st}} {{}}')).toEqual([]);
  });
});

describe('malformedPlaceholders', () => {
  it('lists placeholders whose name is not a variable name', () => {
    expect(malformedPlaceholders('{{ first name }} {{ok}} {{}} {{a+b}}')).toEqual(['{{ first name }}', '{{}}', '{{a+b}}']);
  });

  it('accepts well-formed placeholders', () => {
    expect(malformedPlaceholders('{{ name }} {{contact.email}}')).toEqual([]);
  });
});
