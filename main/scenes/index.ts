/** The built-in scenes, by CLI name. */
import type { SceneDefinition } from './types.ts';
import { showroom } from './showroom.ts';
import { swarm } from './swarm.ts';
import { testPattern } from './test-pattern.ts';

export type { SceneDefinition, SceneInstance, SceneContext, Three } from './types.ts';

/** Every built-in scene; the first is the default. */
export const BUILTIN_SCENES: readonly SceneDefinition[] = [showroom, swarm, testPattern];

/** The scene `serve` shows with no arguments. */
export const DEFAULT_SCENE = showroom.name;

/**
 * Looks up a built-in scene by name.
 * @throws Error listing the built-in scenes when `name` is unknown.
 */
export function findScene(name: string): SceneDefinition {
  const scene = BUILTIN_SCENES.find((s) => s.name === name);
  if (!scene) {
    throw new Error(
      `unknown scene "${name}"; built-in scenes: ${BUILTIN_SCENES.map((s) => s.name).join(', ')}`,
    );
  }
  return scene;
}
