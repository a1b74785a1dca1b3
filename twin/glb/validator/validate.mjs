// Validates glb/gltf files with the Khronos glTF validator and prints one JSON line per file:
// {"file", "errors", "warnings", "issues": [{"code", "severity", "pointer", "message"}]}.
// Exit status 1 when any file has an error. Usage: node validate.mjs FILE...
import { readFile } from 'node:fs/promises';
import validator from 'gltf-validator';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE...');
  process.exit(2);
}
let failed = false;
for (const file of files) {
  const bytes = new Uint8Array(await readFile(file));
  let report;
  try {
    report = await validator.validateBytes(bytes, {
      uri: file,
      maxIssues: 50,
      // Extensions of 3D Tiles 1.1 (EXT_mesh_features, EXT_structural_metadata) are not known to the
      // validator; Yitu's own tests check them.
      ignoredIssues: ['UNSUPPORTED_EXTENSION'],
    });
  } catch (e) {
    console.log(JSON.stringify({ file, errors: 1, warnings: 0, issues: [{ code: 'UNREADABLE', severity: 0, message: String(e) }] }));
    failed = true;
    continue;
  }
  const issues = report.issues.messages.map((m) => ({ code: m.code, severity: m.severity, pointer: m.pointer, message: m.message }));
  console.log(JSON.stringify({ file, errors: report.issues.numErrors, warnings: report.issues.numWarnings, issues }));
  if (report.issues.numErrors > 0) failed = true;
}
process.exit(failed ? 1 : 0);
