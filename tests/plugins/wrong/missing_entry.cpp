// A shared library that is not a dfkd plugin: it exports no `dfkd_plugin` alias.
extern "C" int dfkd_wrong_missing_entry() {
  return 42;
}
