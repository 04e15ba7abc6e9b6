// Fails the build when widgets/static/embed.js could end the <script> element it is inlined in
// (`</script`) or open an HTML comment (`<!--`), in any case (docs/protocol.md, "In an HTML page").
import { readFileSync } from "node:fs";

const path = "widgets/static/embed.js";
const text = readFileSync(path, "utf8");
const found = /<\/script|<!--/i.exec(text);
if (found) {
  console.error(`${path}: "${found[0]}" at offset ${found.index}: the runtime cannot be inlined in a <script> element`);
  process.exit(1);
}
console.log(`${path}: ${text.length} bytes, safe to inline`);
