// `runtime ui`: attach the terminal UI to a live cluster's admin APIs.

import './production.ts';
import { LiveSource } from './live-source.ts';
import { runApp } from './app.tsx';
import { plainText } from './plain.ts';

export async function watchLive(urls: string[], token: string): Promise<number> {
  const src = new LiveSource(urls, token);
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    await src.poll();
    console.log(plainText(src.current()));
    src.close();
    return src.current().properties.some((p) => p.name === 'health' && p.status === 'failing') ? 1 : 0;
  }
  src.start();
  await runApp(src);
  src.close();
  return 0;
}
