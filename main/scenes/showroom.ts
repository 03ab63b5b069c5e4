/**
 * `showroom`: a lit PBR scene with shadows and motion — metal and dielectric objects with a range of
 * roughness on a floor, a directional key light with a PCF soft shadow map, a coloured point light
 * orbiting, a hemisphere fill, and a slowly orbiting camera.
 */
import type { SceneDefinition, SceneInstance, SceneContext } from './types.ts';
import { disposeTree } from './types.ts';

export const showroom: SceneDefinition = {
  name: 'showroom',
  description: 'lit PBR scene: metal and dielectric objects, shadows, orbiting light and camera',
  shadows: true,
  create({ THREE, width, height }: SceneContext): SceneInstance {
    const scene = new THREE.Scene();
    scene.background = new THREE.Color(0x1d2330);
    scene.fog = new THREE.Fog(0x1d2330, 14, 30);

    const camera = new THREE.PerspectiveCamera(45, width / height, 0.1, 100);

    const hemi = new THREE.HemisphereLight(0xbfd8ff, 0x3a2a1e, 0.9);
    scene.add(hemi);

    const sun = new THREE.DirectionalLight(0xffffff, 2.6);
    sun.position.set(5, 9, 4);
    sun.castShadow = true;
    sun.shadow.mapSize.set(1024, 1024);
    sun.shadow.camera.left = -7;
    sun.shadow.camera.right = 7;
    sun.shadow.camera.top = 7;
    sun.shadow.camera.bottom = -7;
    sun.shadow.camera.near = 1;
    sun.shadow.camera.far = 25;
    sun.shadow.bias = -0.0005;
    scene.add(sun);

    const warm = new THREE.PointLight(0xff8a3d, 18, 12, 2);
    warm.position.set(0, 1.6, 0);
    scene.add(warm);
    const bulb = new THREE.Mesh(
      new THREE.SphereGeometry(0.08, 16, 8),
      new THREE.MeshBasicMaterial({ color: 0xffb27a }),
    );
    warm.add(bulb);

    const floor = new THREE.Mesh(
      new THREE.PlaneGeometry(40, 40),
      new THREE.MeshStandardMaterial({ color: 0x8b8f98, roughness: 0.85, metalness: 0 }),
    );
    floor.rotation.x = -Math.PI / 2;
    floor.receiveShadow = true;
    scene.add(floor);

    const knot = new THREE.Mesh(
      new THREE.TorusKnotGeometry(0.9, 0.3, 160, 24),
      new THREE.MeshStandardMaterial({ color: 0xd4af37, metalness: 1, roughness: 0.28 }),
    );
    knot.position.set(0, 1.8, 0);
    knot.castShadow = true;
    scene.add(knot);

    const spheres: InstanceType<typeof THREE.Mesh>[] = [];
    const palette = [0xe63946, 0x2a9d8f, 0x457b9d, 0xf4a261, 0xa8dadc, 0x8d99ae];
    for (let i = 0; i < palette.length; i++) {
      const angle = (i / palette.length) * Math.PI * 2;
      const sphere = new THREE.Mesh(
        new THREE.SphereGeometry(0.45, 48, 24),
        new THREE.MeshStandardMaterial({
          color: palette[i],
          roughness: 0.1 + (0.8 * i) / (palette.length - 1),
          metalness: i % 2 === 0 ? 0.0 : 0.85,
        }),
      );
      sphere.position.set(Math.cos(angle) * 3.2, 0.45, Math.sin(angle) * 3.2);
      sphere.castShadow = true;
      sphere.receiveShadow = true;
      spheres.push(sphere);
      scene.add(sphere);
    }

    const pillar = new THREE.Mesh(
      new THREE.BoxGeometry(0.8, 2.4, 0.8),
      new THREE.MeshStandardMaterial({ color: 0xf1faee, roughness: 0.5 }),
    );
    pillar.position.set(-4.6, 1.2, -2.5);
    pillar.castShadow = true;
    pillar.receiveShadow = true;
    scene.add(pillar);

    const instance: SceneInstance = {
      scene,
      camera,
      target: [0, 1.1, 0],
      update(timeMs) {
        const t = timeMs / 1000;
        knot.rotation.set(t * 0.5, t * 0.7, 0);
        knot.position.y = 1.8 + Math.sin(t * 1.3) * 0.25;
        for (let i = 0; i < spheres.length; i++) {
          const sphere = spheres[i]!;
          sphere.position.y = 0.45 + Math.abs(Math.sin(t * 2 + i)) * 0.6;
        }
        warm.position.set(
          Math.cos(t * 0.9) * 2.2,
          1.2 + Math.sin(t * 1.7) * 0.4,
          Math.sin(t * 0.9) * 2.2,
        );
        const orbit = t * 0.15;
        camera.position.set(Math.cos(orbit) * 9, 4.2, Math.sin(orbit) * 9);
        camera.lookAt(0, 1.1, 0);
      },
      resize(w, h) {
        camera.aspect = w / h;
        camera.updateProjectionMatrix();
      },
      dispose() {
        disposeTree(scene);
      },
    };
    instance.update(0, 0);
    return instance;
  },
};
