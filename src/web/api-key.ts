// The API key the page sends (as `x-api-key`) when the server requires keys: kept in this browser's localStorage,
// entered in a small dialog opened from the header (or from the prompt shown when a request is refused).
import { h } from './dom.js';

const STORAGE_KEY = 'loupe.apiKey';
/** Dispatched on window after the key was saved or cleared; the page renders the current view again. */
export const API_KEY_CHANGED = 'loupe:api-key-changed';

/** Where storage is refused (some private modes), the key lives until the page closes. */
let memoryKey = '';

function storageWorks(): boolean {
  try {
    localStorage.getItem(STORAGE_KEY);
    return true;
  } catch {
    return false;
  }
}

export function apiKey(): string {
  return storageWorks() ? (localStorage.getItem(STORAGE_KEY) ?? '') : memoryKey;
}

function storeApiKey(key: string): void {
  memoryKey = key;
  if (!storageWorks()) return;
  if (key) localStorage.setItem(STORAGE_KEY, key);
  else localStorage.removeItem(STORAGE_KEY);
}

/** Headers carrying the key, or none. */
export function keyHeaders(): Record<string, string> {
  const key = apiKey();
  return key ? { 'x-api-key': key } : {};
}

/** Error codes meaning "send (another) key": the key is missing, unknown or revoked, or its role does not allow this. */
export function isKeyProblem(code: string | undefined): boolean {
  return code === 'UNAUTHENTICATED' || code === 'FORBIDDEN';
}

/** The sentence shown for a refused request: what is wrong and what to do, in the user's terms. */
export function keyProblemText(code: string | undefined, serverMessage: string): string {
  if (code === 'UNAUTHENTICATED') {
    return apiKey()
      ? `The API key saved in this browser was refused (${serverMessage}). Enter another key.`
      : 'This server requires an API key. Enter one to continue (an administrator creates keys with `loupe keys create --role read`, or `--role admin` to add images).';
  }
  return `${serverMessage}. Enter an API key that allows this (adding images and creating indexes need an admin key).`;
}

let dialog: HTMLDialogElement | null = null;

function keyDialog(): HTMLDialogElement {
  if (dialog) return dialog;
  const input = h('input', {
    id: 'api-key-input',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: false,
    'aria-describedby': 'api-key-help',
  });
  const note = h('p', { id: 'api-key-note', class: 'status', role: 'status' });
  const form = h(
    'form',
    { method: 'dialog', class: 'api-key-form' },
    h('h2', { id: 'api-key-title' }, 'API key'),
    h(
      'div',
      { class: 'field grow' },
      h('label', { for: 'api-key-input' }, 'Key sent with every request'),
      input,
      h('small', { id: 'api-key-help' }, 'Kept in this browser only (localStorage). Leave empty to send none.'),
    ),
    h('button', { type: 'submit', value: 'save' }, 'Save'),
    h('button', { type: 'submit', value: 'clear' }, 'Clear'),
    h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel'),
    note,
  );
  dialog = h('dialog', { id: 'api-key-dialog', class: 'hit-dialog api-key-dialog', 'aria-labelledby': 'api-key-title' }, form);
  // Stored on submit, before the dialog closes: the dialog's close event comes a task later, and whatever runs as soon
  // as the dialog is gone (a search the user starts, a test reading localStorage) must see the new key. Enter in the
  // field submits with the first button (Save); Escape and Cancel do not store anything.
  form.addEventListener('submit', (e) => {
    const choice = ((e as SubmitEvent).submitter as HTMLButtonElement | null)?.value ?? 'save';
    if (choice !== 'save' && choice !== 'clear') return;
    storeApiKey(choice === 'save' ? input.value.trim() : '');
    window.dispatchEvent(new Event(API_KEY_CHANGED));
  });
  document.body.append(dialog);
  return dialog;
}

/** Opens the key dialog (modal: focus stays inside, Escape cancels) with the current key filled in. */
export function openKeyDialog(): void {
  const d = keyDialog();
  const input = d.querySelector<HTMLInputElement>('#api-key-input')!;
  input.value = apiKey();
  d.returnValue = '';
  d.querySelector('#api-key-note')!.textContent = storageWorks() ? '' : 'This browser refuses storage here: the key is kept until the page is closed.';
  d.showModal();
  input.focus();
  input.select();
}

/** Why the request was refused, with a button that opens the key dialog; an alert unless it sits in a live region. */
export function keyPrompt(code: string | undefined, serverMessage: string, role: 'alert' | null = 'alert'): HTMLElement {
  return h(
    'div',
    { class: 'key-prompt', role },
    h('p', { class: 'error' }, keyProblemText(code, serverMessage)),
    h(
      'button',
      { type: 'button', class: 'key-prompt-open', 'aria-haspopup': 'dialog', onclick: () => openKeyDialog() },
      apiKey() ? 'Change API key' : 'Enter API key',
    ),
  );
}

/** A failed request shown to the user: the key prompt when a key is missing or not enough, else its message. */
export function failureView(e: unknown, role: 'alert' | null = 'alert'): HTMLElement {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string' && isKeyProblem(code)) return keyPrompt(code, message, role);
  return h('p', { class: 'error', role }, message);
}
