/** `relais sim radiologist`: a simulated radiologist connected to a hub until interrupted. */
import { readFile } from 'node:fs/promises';
import { RadiologistBot, type AckBehaviour } from './bot.ts';

export async function runRadiologistFromCli(opts: { hub: string; tokenFile: string; ack: string }): Promise<void> {
  const token = (await readFile(opts.tokenFile, 'utf8')).trim();
  const acknowledge: AckBehaviour = opts.ack === 'never' || opts.ack === 'immediately' ? opts.ack : { afterMs: Number(opts.ack) };
  const bot = new RadiologistBot({ hubUrl: opts.hub.replace(/\/$/, ''), token, acknowledge });
  bot.on('assignment', (e) => process.stdout.write(`assignment ${e.item.reference} ${e.item.urgency} ${e.item.modality} — ${e.explanation.fr}\n`));
  bot.on('escalation', (e) => process.stdout.write(`escalation ${e.reference}: ${e.text.fr}\n`));
  bot.on('acknowledged', (i) => process.stdout.write(`taken in charge ${i.reference}\n`));
  await bot.connect();
  process.stdout.write(`radiologist simulator connected to ${opts.hub}\n`);
  const stop = () => {
    bot.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
