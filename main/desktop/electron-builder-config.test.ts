/** electron-builder.yml validates against electron-builder's own configuration schema (app-builder-lib/scheme.json). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const schemePath = require.resolve('app-builder-lib/scheme.json');
/** The parts of the configuration the tests look at. */
interface BuilderConfig {
  directories: { app: string };
  asarUnpack: string[];
  linux: { target: Target[] };
  mac: { target: Target[] };
  win: { target: Target[] };
  [key: string]: unknown;
}
interface Target {
  target: string;
  arch: string[];
}
const config = parse(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemePath, 'utf8')) as object);

describe('electron-builder.yml', () => {
  it('validates against app-builder-lib/scheme.json', () => {
    const ok = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema rejects what electron-builder rejects', () => {
    expect(validate({ ...config, notAnOption: true })).toBe(false);
    expect(validate({ ...config, asarUnpack: 42 })).toBe(false);
  });

  it('targets Linux AppImage + deb, macOS dmg arm64 + x64, Windows nsis', () => {
    const targets = (os: 'linux' | 'mac' | 'win') =>
      config[os].target.map((t) => `${t.target}:${t.arch.join('+')}`);
    expect(targets('linux')).toEqual(['AppImage:x64', 'deb:x64']);
    expect(targets('mac')).toEqual(['dmg:arm64+x64']);
    expect(targets('win')).toEqual(['nsis:x64']);
  });

  it('uses app/ as the app directory and unpacks the native addons from the asar', () => {
    expect(config.directories.app).toBe('app');
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['native/gpu/*.node', 'native/encode/build/Release/*.node']),
    );
    const appPkg = JSON.parse(readFileSync('app/package.json', 'utf8')) as {
      main: string;
      dependencies: Record<string, string>;
    };
    expect(appPkg.main).toBe('dist/desktop/main.mjs');
    expect(Object.keys(appPkg.dependencies)).toContain('node-datachannel');
  });
});
