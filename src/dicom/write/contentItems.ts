import { codeItem, type CodedConcept } from './codes.js';
import { clip, formatDs } from './commonModules.js';
import type { NaturalDataset } from './part10.js';

/** SR relationship types (PS3.3 C.17.3.2.4). */
export type RelationshipType = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS PROPERTIES' | 'INFERRED FROM' | 'SELECTED FROM';

/**
 * Builders for SR content items (PS3.3 C.17.3 Document Content Macro / C.18 Content Item Macro), each returning a
 * naturalized content item. One function per value type.
 */
function base(relationship: RelationshipType | undefined, valueType: string, name: CodedConcept): NaturalDataset {
  const item: NaturalDataset = { ValueType: valueType, ConceptNameCodeSequence: [codeItem(name)] };
  if (relationship !== undefined) item['RelationshipType'] = relationship;
  return item;
}

export function containerItem(relationship: RelationshipType | undefined, name: CodedConcept, children: NaturalDataset[], template?: string): NaturalDataset {
  const item = base(relationship, 'CONTAINER', name);
  item['ContinuityOfContent'] = 'SEPARATE';
  if (template !== undefined) item['ContentTemplateSequence'] = [{ MappingResource: 'DCMR', TemplateIdentifier: template }];
  if (children.length > 0) item['ContentSequence'] = children;
  return item;
}

export function codeContentItem(relationship: RelationshipType, name: CodedConcept, value: CodedConcept): NaturalDataset {
  const item = base(relationship, 'CODE', name);
  item['ConceptCodeSequence'] = [codeItem(value)];
  return item;
}

export function textItem(relationship: RelationshipType, name: CodedConcept, text: string): NaturalDataset {
  const item = base(relationship, 'TEXT', name);
  item['TextValue'] = clip(text, 1024);
  return item;
}

export function uidRefItem(relationship: RelationshipType, name: CodedConcept, uid: string): NaturalDataset {
  const item = base(relationship, 'UIDREF', name);
  item['UID'] = uid;
  return item;
}

/** NUM (C.18.1): Measured Value Sequence with Numeric Value (DS) and Measurement Units Code Sequence. */
export function numItem(relationship: RelationshipType, name: CodedConcept, value: number, units: CodedConcept, children: NaturalDataset[] = []): NaturalDataset {
  const item = base(relationship, 'NUM', name);
  item['MeasuredValueSequence'] = [{ NumericValue: formatDs(value), MeasurementUnitsCodeSequence: [codeItem(units)] }];
  if (children.length > 0) item['ContentSequence'] = children;
  return item;
}

/** IMAGE (C.18.4). With `name` undefined the item has no concept name (allowed for SELECTED FROM targets). */
export function imageItem(relationship: RelationshipType, name: CodedConcept | undefined, sopClassUid: string, sopInstanceUid: string): NaturalDataset {
  const item: NaturalDataset = {
    RelationshipType: relationship,
    ValueType: 'IMAGE',
    ReferencedSOPSequence: [{ ReferencedSOPClassUID: sopClassUid, ReferencedSOPInstanceUID: sopInstanceUid }],
  };
  if (name !== undefined) item['ConceptNameCodeSequence'] = [codeItem(name)];
  return item;
}

/**
 * SCOORD (C.18.6): 2D image coordinates, column\row pairs, with (0,0) the top-left corner of the top-left pixel
 * (C.18.6.1.2). Its child SELECTED FROM names the image the coordinates are on.
 */
export function scoordItem(relationship: RelationshipType, name: CodedConcept, graphicType: 'POINT' | 'POLYLINE' | 'CIRCLE' | 'ELLIPSE', points: readonly number[], selectedFrom: NaturalDataset): NaturalDataset {
  const item = base(relationship, 'SCOORD', name);
  item['GraphicType'] = graphicType;
  item['GraphicData'] = points;
  item['ContentSequence'] = [selectedFrom];
  return item;
}
