// TypeScript's own parser on many files: the syntax errors `tsc` would report first (its parse
// diagnostics; no type checking). Reads a JSON list of paths on stdin, writes a JSON list of
// [ok, messages].   node bench/ts_parse.js path/to/typescript.js < paths.json
const ts = require(process.argv[2]);
const fs = require("fs");
const paths = JSON.parse(fs.readFileSync(0, "utf8"));
const out = paths.map((file) => {
  const text = fs.readFileSync(file, "utf8");
  // the script kind follows the extension (.tsx: JSX; .d.ts: declarations), as for tsc
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const errors = (sf.parseDiagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  const messages = errors.map((d) => {
    const pos = sf.getLineAndCharacterOfPosition(d.start || 0);
    return `${pos.line + 1}:${pos.character + 1}: error: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
  return [errors.length === 0, messages.join("\n")];
});
process.stdout.write(JSON.stringify(out));
