// Compile Solidity with the pinned npm solc (solcjs). Standard JSON in on stdin,
// standard JSON out on stdout. Imports resolve against contracts/src and node_modules.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const roots = process.argv.slice(2);

function findImports(importPath) {
  for (const root of roots) {
    const candidate = path.join(root, importPath);
    if (fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, "utf8") };
    }
  }
  return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
