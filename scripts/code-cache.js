// V8's code cache of one tool's bundle, made at build time:
//   node scripts/code-cache.js BUNDLE CACHE print|handover --dry-run ARG...
// The bundle is compiled as its loader (scripts/bundle-bins.js) compiles it,
// then run as the tool, so that the functions a start runs are in the cache
// as bytecode too, not only the top level: with --dry-run ARG... (it plans
// and prints, and changes nothing); then, for `handover`, with ARG... up to
// the executor's exec, which the addon is made to refuse: the plan is
// encoded, nothing is handed over or run (for tools whose ARG... plans no
// file work in Node). Output is dropped. Run in a Node without flags
// (NODE_OPTIONS unset): V8 rejects a cache made under other flags, and the
// tool's Node runs without any.
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const [bundle, cache, mode, ...argv] = process.argv.slice(2);
const script = new vm.Script(fs.readFileSync(bundle, 'utf8'), { filename: bundle });
const dlopen = process.dlopen;
process.dlopen = (module, file, ...rest) => {
  dlopen.call(process, module, file, ...rest);
  const EPERM = 1;
  module.exports = { ...module.exports, memfd: () => 0, execve: () => EPERM };
};
process.stdout.write = process.stderr.write = () => true;

/** run as the main module `node BUNDLE WORDS...`: main() plans them (callerArgv() takes them from the end of our command line) */
const entry = process.env.TSCORE_ENTRY; // the tool takes it out of process.env
function run(words) {
  process.argv = [process.argv[0], bundle, ...words];
  if (entry) process.env.TSCORE_ENTRY = entry;
  const mod = new Module(bundle, null);
  mod.filename = bundle;
  mod.paths = Module._nodeModulePaths(path.dirname(bundle));
  const require_ = (id) => mod.require(id);
  require_.resolve = (id, o) => Module._resolveFilename(id, mod, false, o);
  require_.main = mod;
  try {
    script.runInThisContext()(mod.exports, require_, mod, bundle, path.dirname(bundle));
  } catch {
    // a command line this machine refuses still compiled what it ran
  }
}
// at exit: after what a tool does asynchronously (tsoci) ran too
process.on('exit', () => fs.writeFileSync(cache, script.createCachedData()));
run(argv);
if (mode === 'handover') run(argv.slice(1));
