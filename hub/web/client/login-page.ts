/**
 * Sign-in page (also served with status 401 in place of any page that needs a user): takes a
 * token from the URL fragment (`#token=…`, never sent to servers or logs) or from the form,
 * exchanges it for a session cookie, then reloads the page that was asked for.
 */
import { applyTexts, currentLang, markLang, rememberLang, t, wireLangSwitch } from './lang.ts';

let lang = currentLang();

function show(message: string): void {
  const el = document.getElementById('login-message');
  if (el) el.textContent = message;
}

async function signIn(token: string): Promise<void> {
  const button = document.getElementById('login-submit') as HTMLButtonElement | null;
  if (button) {
    button.disabled = true;
    button.textContent = t(lang, 'signingIn');
  }
  try {
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
    if (res.ok) {
      const target = location.pathname === '/login' ? '/' : location.pathname + location.search;
      location.replace(target);
      return;
    }
    show(t(lang, res.status === 429 ? 'signInThrottled' : 'signInFailed'));
  } catch {
    show(t(lang, 'signInError'));
  } finally {
    if (button) {
      button.disabled = false;
      button.textContent = t(lang, 'signIn');
    }
  }
}

function start(): void {
  rememberLang(lang);
  applyTexts(lang);
  markLang(lang);
  wireLangSwitch((l) => {
    lang = l;
    applyTexts(lang);
  });
  const form = document.getElementById('login-form') as HTMLFormElement | null;
  const input = document.getElementById('login-token') as HTMLInputElement | null;
  form?.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input?.value.trim()) void signIn(input.value.trim());
  });
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (token) {
    history.replaceState(null, '', location.pathname + location.search);
    void signIn(token);
  }
}

start();
