// V8's code cache of one tool's bundle, made at build time:
//   node scripts/code-cache.js BUNDLE CACHE ARG...
// The bundle is compiled as its loader (scripts/bundle-bins.js) compiles it,
// then run as the tool with ARG... (a --dry-run command line: it plans and
// prints, and changes nothing), so that the functions a start runs are in
// the cache as bytecode too, not only the top level. Its output is dropped.
// Run in a Node without flags (NODE_OPTIONS unset): V8 rejects a cache made
// under other flags, and the tool's Node runs without any.
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const [bundle, cache, ...argv] = process.argv.slice(2);
// as the tool sees it: `node BUNDLE ARG...` (callerArgv() counts from the end)
process.argv = [process.argv[0], bundle, ...argv];
const script = new vm.Script(fs.readFileSync(bundle, 'utf8'), { filename: bundle });
const mod = new Module(bundle, null);
mod.filename = bundle;
mod.paths = Module._nodeModulePaths(path.dirname(bundle));
const require_ = (id) => mod.require(id);
require_.resolve = (id, o) => Module._resolveFilename(id, mod, false, o);
require_.main = mod; // run as the main module: main() plans this command line
process.stdout.write = process.stderr.write = () => true;
// at exit: after what a tool does asynchronously (tsoci) ran too
process.on('exit', () => fs.writeFileSync(cache, script.createCachedData()));
try {
  script.runInThisContext()(mod.exports, require_, mod, bundle, path.dirname(bundle));
} catch {
  // a command line this machine refuses still compiled what it ran
}
