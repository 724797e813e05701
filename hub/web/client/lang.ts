/**
 * Browser side: which language the pages speak (remembered in localStorage and in the
 * `relais_lang` cookie so the server renders the same one), and the FR/EN switch.
 */
import { DICTIONARIES, isLang, LANGS, type Lang, type TextKey } from '../i18n.ts';

const KEY = 'relais.lang';

export function currentLang(): Lang {
  const url = new URLSearchParams(location.search).get('lang');
  if (isLang(url)) return url;
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    /* storage disabled */
  }
  if (isLang(stored)) return stored;
  const fromPage = document.documentElement.dataset.lang;
  return isLang(fromPage) ? fromPage : 'fr';
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    /* storage disabled */
  }
  document.cookie = `relais_lang=${lang}; Path=/; Max-Age=31536000; SameSite=Strict`;
  document.documentElement.lang = lang;
}

export function t(lang: Lang, key: TextKey): string {
  return DICTIONARIES[lang][key];
}

/** Fills every element carrying data-t="key" with its text. */
export function applyTexts(lang: Lang, root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>('[data-t]').forEach((el) => {
    const key = el.dataset.t as TextKey;
    if (key in DICTIONARIES[lang]) el.textContent = t(lang, key);
  });
  root.querySelectorAll<HTMLElement>('[data-t-placeholder]').forEach((el) => {
    const key = el.dataset.tPlaceholder as TextKey;
    if (key in DICTIONARIES[lang]) el.setAttribute('placeholder', t(lang, key));
  });
}

/** Wires the FR/EN buttons (elements with data-lang-switch="fr|en"). */
export function wireLangSwitch(onChange: (lang: Lang) => void): void {
  document.querySelectorAll<HTMLButtonElement>('[data-lang-switch]').forEach((b) => {
    b.addEventListener('click', () => {
      const lang = b.dataset.langSwitch;
      if (!isLang(lang)) return;
      rememberLang(lang);
      markLang(lang);
      onChange(lang);
    });
  });
}

export function markLang(lang: Lang): void {
  document.querySelectorAll<HTMLButtonElement>('[data-lang-switch]').forEach((b) => {
    b.setAttribute('aria-pressed', String(b.dataset.langSwitch === lang));
  });
}

export { LANGS };
