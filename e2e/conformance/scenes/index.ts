/** Every conformance scene, in the order the suite runs them. */
import type { ConformanceScene } from '../types.ts';
import { pbrEnvironment } from './pbr-environment.ts';
import { shadowDirectional } from './shadow-directional.ts';
import { shadowSpotPoint } from './shadow-spot-point.ts';
import { msaa } from './msaa.ts';
import { texturesMipmaps } from './textures-mipmaps.ts';
import { instancing } from './instancing.ts';
import { transparencyBlending } from './transparency-blending.ts';
import { renderTarget } from './render-target.ts';
import { postBloom } from './post-bloom.ts';
import { computeParticles } from './compute-particles.ts';
import { gltfSkinnedMorph } from './gltf-skinned-morph.ts';
import { pointsLinesSprites } from './points-lines-sprites.ts';
import { textTextureScene } from './text-texture.ts';

export const CONFORMANCE_SCENES: readonly ConformanceScene[] = [
  pbrEnvironment,
  shadowDirectional,
  shadowSpotPoint,
  msaa,
  texturesMipmaps,
  instancing,
  transparencyBlending,
  renderTarget,
  postBloom,
  computeParticles,
  gltfSkinnedMorph,
  pointsLinesSprites,
  textTextureScene,
];
