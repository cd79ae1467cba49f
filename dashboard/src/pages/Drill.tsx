import { useState } from 'react';
import { ErrorNotice, Loading } from '../components/Notices';
import { PageHeader } from '../components/PageHeader';
import { api } from '../lib/api';
import type { DrillBody, DrillResult } from '../lib/api-types';
import { useKnownValues } from '../lib/known-values';
import { DrillForm } from './drill/DrillForm';
import { DrillReport } from './drill/DrillReport';

/** "What if we had to stop using X tomorrow?", answered from recorded traffic (POST /admin/drills; viewers may run it). */
export function DrillPage() {
  const known = useKnownValues();
  const [result, setResult] = useState<DrillResult | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [running, setRunning] = useState(false);

  const run = async (body: DrillBody) => {
    setRunning(true);
    setError(undefined);
    try {
      setResult(await api.drill(body));
    } catch (err) {
      setError(err);
    } finally {
      setRunning(false);
    }
  };

  return (
    <>
      <PageHeader title="Drill" />
      <p className="hint">
        Choose what to remove. Each served request of the window that used it is replayed against today's catalogue and policies: to the same model on
        another host, else a configured substitute, else the cheapest allowed model of the same tier, else it has no route. Nothing is changed on the
        gateway.
      </p>
      <DrillForm known={known} running={running} onRun={(body) => void run(body)} />
      <ErrorNotice error={error} />
      {running ? <Loading label="the drill report" /> : null}
      {result ? <DrillReport result={result} /> : null}
    </>
  );
}
