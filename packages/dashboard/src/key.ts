import { operateKey } from './api.js';
import { byId } from './dom.js';

/** Opens the key dialog; resolves true when a key was kept. */
export function askForKey(): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('key-dialog');
  const input = byId<HTMLInputElement>('key-input');
  input.value = operateKey.get() ?? '';
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        if (dialog.returnValue === 'save' && input.value.trim()) operateKey.set(input.value);
        else if (dialog.returnValue === 'forget') operateKey.clear();
        input.value = '';
        updateKeyButton();
        resolve(dialog.returnValue === 'save' && operateKey.get() !== null);
      },
      { once: true },
    );
    dialog.showModal();
    input.focus();
  });
}

export function updateKeyButton(): void {
  const button = byId('key-button');
  const has = operateKey.get() !== null;
  button.textContent = has ? 'Key set' : 'API key';
  button.classList.toggle('has-key', has);
}
