// Entry point of the web page: a hash router over the search page (#/) and the index pages (#/indexes, #/index/<name>).
import './styles.css';
import { API_KEY_CHANGED, apiKey, failureView, openKeyDialog } from './api-key.js';
import { h } from './dom.js';
import { renderIndexList, renderIndexPage } from './index-view.js';
import { renderSearch } from './search-view.js';

async function route(): Promise<void> {
  const main = document.getElementById('main')!;
  const [path = '/', query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const onIndexes = path.startsWith('/index');
  for (const [id, active] of [
    ['nav-search', !onIndexes],
    ['nav-indexes', onIndexes],
  ] as const) {
    const link = document.getElementById(id);
    if (active) link?.setAttribute('aria-current', 'page');
    else link?.removeAttribute('aria-current');
  }
  try {
    if (path === '/indexes') await renderIndexList(main);
    else if (path.startsWith('/index/')) await renderIndexPage(main, decodeURIComponent(path.slice('/index/'.length)));
    else await renderSearch(main, params);
    document.title = onIndexes ? 'Loupe — indexes' : 'Loupe — search';
  } catch (e) {
    main.replaceChildren(h('h1', {}, 'Something went wrong'), failureView(e));
  }
  // After navigating, move focus to the new content (the search page focuses its query box itself).
  if (onIndexes) main.focus();
}

/** The header's key button says whether a key is saved; it opens the key dialog. */
function showKeyButton(): void {
  const button = document.getElementById('api-key-button');
  if (button) button.textContent = apiKey() ? 'API key (saved)' : 'API key';
}

document.getElementById('api-key-button')?.addEventListener('click', () => openKeyDialog());
window.addEventListener(API_KEY_CHANGED, () => {
  showKeyButton();
  void route();
});
window.addEventListener('hashchange', () => void route());
showKeyButton();
void route();
