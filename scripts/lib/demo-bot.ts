/**
 * The demo `npm run dev` seeds: a connection to the demo booking API (scripts/demo-api, served by dev on
 * 127.0.0.1:4010), its endpoints, three actions, and a bot whose guided flows use them:
 *
 * - booking: name -> date -> check availability -> offer the first free slot -> email -> summary ->
 *   create the booking -> its reference (a fully booked day goes back to the date question);
 * - order status: order number -> billing email -> look the order up (shown only if the email matches);
 * - group quote (a long-running call, polled): party size -> day -> start a quote job, which Parley polls at
 *   its Location until it is done (or failed) -> the price; cancelling it DELETEs the job (compensation);
 * - group booking (a long-running call, answered through a callback): name -> party size -> day -> time ->
 *   email -> summary -> ask the team for approval; the demo API's staff routes (or its auto-approval) POST
 *   the answer to Parley's one-time callback URL, and the flow goes on with the booking reference;
 * - "human": hand the conversation to a person.
 *
 * Editing this and restarting `npm run dev` updates what changed and re-publishes the bot.
 */
import type { z } from 'zod';
import type { ActionBody, ActionStep, CreateEndpointBody } from '../../models/connection.schema';

export const DEMO_BOT = {
  name: 'Parley demo',
  greeting: 'Hi! I\'m Parley\'s demo bot. I can book you an appointment, price or book a group, or look up an order: say "book", "group quote", "group booking" or "order status".',
  fallbackMessage: 'Sorry, I can only book appointments, price and book groups, and look up orders for now. Say "book", "group quote", "group booking", "order status", or "human" to reach a person.',
  timezone: 'Europe/London',
} as const;

/** The connection's name: how the seed finds it again on a restart. */
export const DEMO_CONNECTION_NAME = 'Demo booking API';

/** The demo API's endpoints, by a local ref (an action step's `endpoint`); matched by `name` on a restart. */
export const DEMO_ENDPOINTS: Record<'availability' | 'create_booking' | 'order' | 'group_booking' | 'start_quote' | 'cancel_quote', z.input<typeof CreateEndpointBody>> = {
  availability: {
    name: 'Availability',
    description: 'Free slots on a day.',
    method: 'GET',
    path: '/availability',
    // `llm`: Smart AI may fill it; flows pass their own values either way.
    parameters: [{ name: 'date', type: 'date', in: 'query', source: 'llm', description: 'The day to check (YYYY-MM-DD).' }],
    responseFields: [
      { name: 'first_slot', path: '$.first_slot' },
      { name: 'available', path: '$.available' },
    ],
  },
  create_booking: {
    name: 'Create booking',
    description: 'Books a slot.',
    method: 'POST',
    path: '/bookings',
    sideEffects: true,
    parameters: [
      { name: 'name', type: 'string', in: 'body', source: 'llm', description: 'Who the booking is for.' },
      { name: 'email', type: 'email', in: 'body', source: 'llm', description: 'Where the confirmation goes.' },
      { name: 'date', type: 'date', in: 'body', source: 'llm', description: 'The day (YYYY-MM-DD).' },
      { name: 'time', type: 'string', in: 'body', source: 'llm', description: 'The slot (HH:MM).' },
    ],
    responseFields: [
      { name: 'booking_id', path: '$.id' },
      { name: 'status', path: '$.status' },
    ],
  },
  order: {
    name: 'Order status',
    description: "An order's status, shown only to someone who knows its billing email.",
    method: 'GET',
    path: '/orders/{order_id}',
    parameters: [
      { name: 'order_id', type: 'string', in: 'path', source: 'llm', description: 'The order number, e.g. 1001.' },
      { name: 'email', type: 'email', in: 'query', source: 'llm', description: 'The billing email on the order.' },
    ],
    responseFields: [{ name: 'order_status', path: '$.status' }],
    validations: [{ input: 'email', path: '$.billing.email', op: 'equals_ignore_case', message: "That email doesn't match this order." }],
  },
  // Long-running, callback mode: the demo API answers 202 at once and POSTs the staff's decision later to
  // `callback_url`, the one-time URL Parley fills in (source "callback").
  group_booking: {
    name: 'Group booking request',
    description: 'Asks the team to approve a group booking; they answer later.',
    method: 'POST',
    path: '/group-bookings',
    sideEffects: true,
    parameters: [
      { name: 'name', type: 'string', in: 'body', source: 'llm', description: 'Who the booking is for.' },
      { name: 'email', type: 'email', in: 'body', source: 'llm', description: 'Where the confirmation goes.' },
      { name: 'date', type: 'date', in: 'body', source: 'llm', description: 'The day (YYYY-MM-DD).' },
      { name: 'time', type: 'string', in: 'body', source: 'llm', description: 'The arrival time (HH:MM).' },
      { name: 'party_size', type: 'integer', in: 'body', source: 'llm', description: 'How many people.' },
      { name: 'callback_url', type: 'string', in: 'body', source: 'callback', description: 'Where the business posts its decision.' },
    ],
    responseFields: [{ name: 'request_id', path: '$.request_id' }],
    longRunning: {
      mode: 'callback',
      completeWhen: { path: '$.status', op: 'equals', value: 'approved' },
      failWhen: { path: '$.status', op: 'equals', value: 'rejected' },
      deadlineSeconds: 2 * 24 * 3600,
      resultFields: [{ name: 'booking_ref', path: '$.booking_ref' }],
      pendingMessage: 'Thanks! Group bookings need our team\'s approval, so I\'ve sent them your request. I\'ll tell you here as soon as they answer. Meanwhile you can keep chatting, ask "what\'s the status?", or say "cancel" to withdraw it.',
    },
  },
  // Long-running, poll mode: the demo API answers 202 with `Location: /quotes/jobs/<id>`, which Parley
  // GETs every few seconds until `status` is done (or failed, or cancelled).
  start_quote: {
    name: 'Start group quote',
    description: 'Prices a group for a day (a back-office job that takes a few seconds).',
    method: 'POST',
    path: '/quotes',
    parameters: [
      { name: 'party_size', type: 'integer', in: 'body', source: 'llm', description: 'How many people.' },
      { name: 'date', type: 'date', in: 'body', source: 'llm', description: 'The day (YYYY-MM-DD).' },
    ],
    responseFields: [{ name: 'job_id', path: '$.job_id' }],
    longRunning: {
      mode: 'poll',
      job: { from: 'location' },
      schedule: { initialSeconds: 3, factor: 2, maxSeconds: 10 },
      completeWhen: { path: '$.status', op: 'equals', value: 'done' },
      failWhen: { path: '$.status', op: 'regex', value: '^(failed|cancelled)$' },
      deadlineSeconds: 600,
      resultFields: [
        { name: 'quote_id', path: '$.quote_id' },
        { name: 'price', path: '$.price' },
        { name: 'currency', path: '$.currency' },
      ],
      pendingMessage: "I've asked our pricing system for a quote; it takes a few seconds. I'll post it here as soon as it's ready.",
    },
  },
  /** The quote's compensation: cancels the job when the visitor cancels or the conversation closes. */
  cancel_quote: {
    name: 'Cancel group quote',
    description: 'Cancels a quote job.',
    method: 'DELETE',
    path: '/quotes/jobs/{job_id}',
    parameters: [{ name: 'job_id', type: 'string', in: 'path', source: 'step', description: 'The job to cancel.' }],
    responseFields: [{ name: 'status', path: '$.status' }],
  },
};

type EndpointRef = keyof typeof DEMO_ENDPOINTS;

/** A step of a demo action: endpoint refs instead of ids; a compensation's inputs as in ActionStep. */
export interface DemoStep {
  id: string;
  endpoint: EndpointRef;
  compensation?: { endpoint: EndpointRef; inputs: NonNullable<z.input<typeof ActionStep>['compensation']>['inputs'] };
}

/** The actions, one step each; `endpoint` is a ref of DEMO_ENDPOINTS, replaced by the endpoint's id when seeded. */
export const DEMO_ACTIONS: Array<Omit<z.input<typeof ActionBody>, 'steps'> & { steps: DemoStep[] }> = [
  { id: 'check_availability', name: 'Check availability', description: 'The first free slot on a day.', steps: [{ id: 'check', endpoint: 'availability' }] },
  { id: 'create_booking', name: 'Create booking', description: 'Books a slot for a name and email.', steps: [{ id: 'book', endpoint: 'create_booking' }] },
  { id: 'order_status', name: 'Order status', description: "An order's status, after checking its billing email.", steps: [{ id: 'order', endpoint: 'order' }] },
  {
    id: 'group_quote',
    name: 'Group quote',
    description: 'The price for a group on a day (takes a few seconds; the result arrives later).',
    steps: [{ id: 'start', endpoint: 'start_quote', compensation: { endpoint: 'cancel_quote', inputs: { job_id: { from: 'step', step: 'start', field: 'job_id' } } } }],
  },
  { id: 'group_booking', name: 'Group booking', description: 'Asks the team to approve a group booking (the answer arrives later).', steps: [{ id: 'request', endpoint: 'group_booking' }] },
];

export const DEMO_FLOWS = {
  flows: [
    {
      id: 'group-quote',
      name: 'Group quote',
      trigger: { keywords: ['quote', 'price', 'estimate'] },
      startBlockId: 'ask_party',
      blocks: [
        {
          id: 'ask_party',
          type: 'ask',
          question: 'Happy to price that. How many people are in your group?',
          variable: 'party_size',
          answer: { type: 'integer', min: 2, max: 500 },
          retryMessage: 'Please give the number of people, from 2 to 500.',
          skipIfKnown: false,
          next: 'ask_quote_date',
        },
        {
          id: 'ask_quote_date',
          type: 'ask',
          question: 'Which day is it for?',
          variable: 'date',
          answer: { type: 'date', allowPast: false },
          retryMessage: 'Sorry, I need a day from today onwards, like "Friday" or "28 November".',
          skipIfKnown: false,
          next: 'quote',
        },
        // Long-running: the visitor hears the endpoint's pendingMessage at once; the flow goes on from here once the job is done.
        { id: 'quote', type: 'api_call', action: 'group_quote', inputs: { party_size: '{{party_size}}', date: '{{date}}' }, outputs: { quote_id: 'quote_id', price: 'price', currency: 'currency' }, next: 'quoted', onFailure: 'no_quote' },
        { id: 'quoted', type: 'end', text: 'Your quote {{quote_id}}: {{price}} {{currency}} for {{party_size}} people on {{date_display}}. Say "group booking" to book it.' },
        { id: 'no_quote', type: 'end', text: 'No quote this time: {{last_error}} Groups over 50 are priced by phone; say "human" to reach a person.' },
      ],
    },
    {
      id: 'group-booking',
      name: 'Group booking',
      trigger: { keywords: ['group', 'party', 'event'] },
      startBlockId: 'ask_group_name',
      blocks: [
        { id: 'ask_group_name', type: 'ask', question: "Let's book your group. What name should the booking be under?", variable: 'name', answer: { type: 'text', minLength: 2, maxLength: 80 }, skipIfKnown: true, next: 'ask_group_size' },
        {
          id: 'ask_group_size',
          type: 'ask',
          question: 'How many people, {{name}}?',
          variable: 'party_size',
          answer: { type: 'integer', min: 2, max: 500 },
          retryMessage: 'Please give the number of people, from 2 to 500.',
          skipIfKnown: false,
          next: 'ask_group_date',
        },
        {
          id: 'ask_group_date',
          type: 'ask',
          question: 'Which day?',
          variable: 'date',
          answer: { type: 'date', allowPast: false },
          retryMessage: 'Sorry, I need a day from today onwards, like "Friday" or "28 November".',
          skipIfKnown: false,
          next: 'ask_group_time',
        },
        { id: 'ask_group_time', type: 'ask', question: 'And what time would you arrive (e.g. 19:00)?', variable: 'arrival', answer: { type: 'time' }, skipIfKnown: false, next: 'ask_group_email' },
        { id: 'ask_group_email', type: 'ask', question: 'Your email address, for the confirmation?', variable: 'email', answer: { type: 'email' }, skipIfKnown: true, next: 'confirm_group' },
        {
          id: 'confirm_group',
          type: 'choice',
          text: 'Here is your request:\n• Name: {{name}}\n• Group: {{party_size}} people\n• When: {{date_display}} at {{arrival}}\n• Email: {{email}}\nShall I send it to the team for approval?',
          options: [
            { label: 'Yes, send it', value: 'yes', synonyms: ['yes', 'yep', 'send', 'ok'], next: 'request_group' },
            { label: 'No, cancel', value: 'no', synonyms: ['no', 'nope'], next: 'group_not_sent' },
          ],
        },
        // Long-running: the visitor hears the endpoint's pendingMessage at once; the flow goes on from here once the team answers.
        {
          id: 'request_group',
          type: 'api_call',
          action: 'group_booking',
          inputs: { name: '{{name}}', email: '{{email}}', date: '{{date}}', time: '{{arrival}}', party_size: '{{party_size}}' },
          outputs: { booking_ref: 'booking_ref', request_id: 'request_id' },
          next: 'group_confirmed',
          onFailure: 'group_failed',
        },
        { id: 'group_confirmed', type: 'end', text: '✓ Your group booking is confirmed: {{booking_ref}}. {{party_size}} people on {{date_display}} at {{arrival}}; see you then!' },
        { id: 'group_failed', type: 'end', text: 'No group booking this time: {{last_error}} Say "group booking" to try another day, or "human" to reach a person.' },
        { id: 'group_not_sent', type: 'end', text: 'No problem, nothing was sent. Say "group booking" whenever you want to try again.' },
      ],
    },
    {
      id: 'book-appointment',
      name: 'Book an appointment',
      trigger: { keywords: ['book', 'booking', 'appointment', 'reserve'] },
      startBlockId: 'ask_name',
      blocks: [
        { id: 'ask_name', type: 'ask', question: "Great, let's get you booked in. What's your name?", variable: 'name', answer: { type: 'text', minLength: 2, maxLength: 80 }, next: 'ask_date' },
        {
          id: 'ask_date',
          type: 'ask',
          question: 'Which day suits you, {{name}}? You can say things like "tomorrow" or "next Thursday".',
          variable: 'date',
          answer: { type: 'date', allowPast: false },
          retryMessage: 'Sorry, I need a day from today onwards, like "Friday" or "28 November".',
          // Asked every time: the flow comes back here when a day is full or the slot is declined.
          skipIfKnown: false,
          next: 'check',
        },
        { id: 'check', type: 'api_call', action: 'check_availability', inputs: { date: '{{date}}' }, outputs: { available: 'available', time: 'first_slot' }, next: 'is_free', onFailure: 'check_failed' },
        { id: 'is_free', type: 'condition', branches: [{ when: { variable: 'available', op: 'equals', value: true }, next: 'offer_slot' }], else: 'full' },
        // Back to the date question: a loop must pass through an ask, so the flow waits for the visitor.
        { id: 'full', type: 'message', text: 'Sorry, {{date_display}} is fully booked.', next: 'ask_date' },
        {
          id: 'offer_slot',
          type: 'ask',
          question: 'The first free slot on {{date_display}} is {{time}}. Shall I book it?',
          variable: 'take_slot',
          answer: { type: 'yes_no' },
          skipIfKnown: false,
          next: 'slot_taken',
        },
        { id: 'slot_taken', type: 'condition', branches: [{ when: { variable: 'take_slot', op: 'equals', value: true }, next: 'ask_email' }], else: 'other_day' },
        { id: 'other_day', type: 'message', text: "No problem, let's find another day.", next: 'ask_date' },
        { id: 'ask_email', type: 'ask', question: 'And your email address, for the confirmation?', variable: 'email', answer: { type: 'email' }, skipIfKnown: true, next: 'confirm' },
        {
          id: 'confirm',
          type: 'choice',
          text: 'Here is your booking:\n• Name: {{name}}\n• When: {{date_display}} at {{time}}\n• Email: {{email}}\nShall I book it?',
          options: [
            { label: 'Yes, book it', value: 'yes', synonyms: ['yes', 'yep', 'confirm', 'ok'], next: 'book' },
            { label: 'No, cancel', value: 'no', synonyms: ['no', 'nope'], next: 'not_booked' },
          ],
        },
        {
          id: 'book',
          type: 'api_call',
          action: 'create_booking',
          inputs: { name: '{{name}}', email: '{{email}}', date: '{{date}}', time: '{{time}}' },
          outputs: { booking_id: 'booking_id' },
          next: 'booked',
          onFailure: 'book_failed',
        },
        { id: 'booked', type: 'end', text: '✓ Booked! Your reference is {{booking_id}}. See you on {{date_display}} at {{time}}.' },
        { id: 'book_failed', type: 'end', text: "Sorry, I couldn't complete the booking: {{last_error}}" },
        { id: 'check_failed', type: 'end', text: "Sorry, I couldn't check the availability: {{last_error}}" },
        { id: 'not_booked', type: 'end', text: 'No problem, nothing was booked. Say "book" whenever you want to try again.' },
      ],
    },
    {
      id: 'order-status',
      name: 'Order status',
      trigger: { keywords: ['order', 'status'] },
      startBlockId: 'ask_order',
      blocks: [
        {
          id: 'ask_order',
          type: 'ask',
          question: "Sure, what's your order number?",
          variable: 'order_id',
          answer: { type: 'regex', pattern: '[0-9]{1,12}' },
          retryMessage: 'Order numbers are digits only, like 1001.',
          skipIfKnown: false,
          next: 'ask_billing_email',
        },
        {
          id: 'ask_billing_email',
          type: 'ask',
          question: 'And the email address on the order?',
          // Not `email`: a wrong guess here must not become the email the booking flow reuses.
          variable: 'billing_email',
          answer: { type: 'email' },
          skipIfKnown: false,
          next: 'lookup',
        },
        {
          id: 'lookup',
          type: 'api_call',
          action: 'order_status',
          inputs: { order_id: '{{order_id}}', email: '{{billing_email}}' },
          outputs: { order_status: 'order_status' },
          next: 'order_found',
          onFailure: 'order_failed',
        },
        { id: 'order_found', type: 'end', text: 'Your order {{order_id}} is {{order_status}}.' },
        { id: 'order_failed', type: 'end', text: '{{last_error}}' },
      ],
    },
    {
      id: 'human',
      name: 'Talk to a person',
      trigger: { keywords: ['human', 'agent', 'person'] },
      startBlockId: 'handoff',
      blocks: [{ id: 'handoff', type: 'handoff', text: 'Let me get a colleague for you. They will reply here shortly.', reason: 'visitor asked for a person' }],
    },
  ],
};
