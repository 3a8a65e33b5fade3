import type { RadiographMetadata } from './RadiographMetadata.js';

/** Body Part Examined (0018,0015) values (PS3.16 CID 4031 code meanings as CS) of the images DR-FDS is made for. */
const EXPECTED_BODY_PARTS = new Set(['PELVIS', 'HIP', 'HIPS', 'HIP JOINT', 'PELVIS AND HIPS']);
/** View Position (0018,5101) defined terms of frontal views (PS3.3 C.8.11.5.1.1). */
const FRONTAL_VIEWS = new Set(['AP', 'PA']);
/** SOP Classes of DX, mammography and intra-oral images "For Processing" (PS3.4 B.5). */
const FOR_PROCESSING = new Set(['1.2.840.10008.5.1.4.1.1.1.1.1', '1.2.840.10008.5.1.4.1.1.1.2.1', '1.2.840.10008.5.1.4.1.1.1.3.1']);

/**
 * Warnings (not errors) when the header suggests something other than a frontal pelvis or hip radiograph: the
 * detector was validated on those only, so its output on other images deserves doubt. Absent attributes
 * say nothing and give no warning.
 */
export function radiographWarnings(metadata: RadiographMetadata): string[] {
  const warnings: string[] = [];
  const body = metadata.bodyPartExamined;
  if (body !== undefined && !EXPECTED_BODY_PARTS.has(body)) {
    warnings.push(`Body Part Examined is ${body}, not pelvis or hip: the fracture detector is validated on frontal pelvic and hip radiographs only`);
  }
  const view = metadata.viewPosition;
  if (view !== undefined && !FRONTAL_VIEWS.has(view)) {
    warnings.push(`View Position is ${view}, not a frontal (AP/PA) view: the fracture detector is validated on frontal views only`);
  }
  if (FOR_PROCESSING.has(metadata.sopClassUid)) {
    warnings.push('this is a "For Processing" image (raw detector data, PS3.3 A.26): a radiologist would see the "For Presentation" image, which may look different');
  }
  if (metadata.modality === 'OT') {
    warnings.push('Modality is OT (other): the header does not say this is a radiograph');
  }
  return warnings;
}
