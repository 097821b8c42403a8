// Public entry of the schema registry: resource types, field types, validation and fq_name helpers.
export {
  ALL_TYPES,
  META_FIELDS,
  NAMED_TYPES,
  backRefFieldName,
  childFieldName,
  findType,
  findTypeByPlural,
  fqNameFromString,
  fqNameRepr,
  fqNameToString,
  refFieldName,
  underscore,
  type BackRefField,
  type ChildField,
  type RefField,
  type ResourceType,
} from './schema/registry.js';
export { FieldError, validateField, type FieldType, type ObjectType } from './schema/field-types.js';
export { validateBody } from './schema/validate.js';
export type * from './schema/objects.js';
export type { VncObject, VncObjectBase, VncObjectInput, VncRef } from './object.js';
