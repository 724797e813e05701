/**
 * What every signed-in page shares: who is signed in (GET /api/v1/me), sign-out, the FR/EN
 * switch (texts re-applied, then the page re-renders itself), and the live indicator.
 */
import type { Lang, TextKey } from '../i18n.ts';
import { applyTexts, currentLang, markLang, rememberLang, t, wireLangSwitch } from './lang.ts';

export interface Me {
  id: string;
  displayName: string;
  role: 'operator' | 'radiologist' | 'clinician' | 'admin';
  radiologistId?: string;
  siteIds?: string[];
}

export interface Frame {
  lang(): Lang;
  tx(key: string): string;
  me: Promise<Me | undefined>;
  setLive(live: boolean): void;
  message(text: string, kind?: 'ok' | 'error'): void;
}

export function startFrame(render: () => void): Frame {
  let lang = currentLang();
  let live = false;
  let who: Me | undefined;
  const tx = (key: string) => t(lang, key as TextKey) ?? key;
  const paint = () => {
    applyTexts(lang);
    markLang(lang);
    const whoEl = document.getElementById('who');
    if (whoEl && who) whoEl.textContent = `${who.displayName} (${tx(`role_${who.role}`)})`;
    const state = document.getElementById('live-state');
    if (state) {
      state.textContent = tx(live ? 'connected' : 'disconnected');
      state.className = `live-state ${live ? 'on' : 'off'}`;
    }
  };
  rememberLang(lang);
  wireLangSwitch((l) => {
    lang = l;
    paint();
    render();
  });
  document.getElementById('sign-out')?.addEventListener('click', () => {
    void fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).finally(() => location.replace('/login'));
  });
  paint();
  const me = fetch('/api/v1/me', { credentials: 'same-origin' }).then(async (res) => {
    if (res.status === 401) {
      location.replace('/login');
      return undefined;
    }
    if (!res.ok) return undefined;
    who = (await res.json()) as Me;
    paint();
    return who;
  });
  return {
    lang: () => lang,
    tx,
    me,
    setLive(v) {
      live = v;
      paint();
    },
    message(text, kind = 'ok') {
      const m = document.getElementById('page-message');
      if (!m) return;
      m.textContent = text;
      m.className = `page-message ${kind}`;
    },
  };
}
