import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import type { CreatedKey } from '../../lib/api-types';

interface Props {
  created: CreatedKey;
  onClose: () => void;
}

/** The new key's secret, shown this once: the gateway keeps only its hash, and closing this forgets it. */
export function SecretDialog({ created, onClose }: Props) {
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>(undefined);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <Dialog title={`Key ${created.name} created`} onClose={onClose}>
      <p className="notice notice-warn">
        <strong>This is the only time the secret is shown.</strong> Store it now, in a secret manager or your app's environment; the gateway keeps only its
        hash and cannot show it again.
      </p>
      <div className="secret-row">
        <input className="secret" readOnly value={created.key} aria-label="New key secret" onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <button type="button" onClick={() => void copy()}>
          Copy key
        </button>
      </div>
      <p role="status" className="hint">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying was refused by the browser: select the text and copy it.' : ''}
      </p>
      <p className="hint">
        Id <code>{created.id}</code>. Apps send it as <code>Authorization: Bearer …</code> or <code>x-api-key</code>.
      </p>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose}>
          I have stored the key
        </button>
      </div>
    </Dialog>
  );
}
