/* berth_options: configuration handles (TOML files, strings and key overrides). */
typedef struct berth_options berth_options;

berth_result berth_options_new(berth_options **out, berth_error **err);
void berth_options_free(berth_options *options);
berth_result berth_options_load_file(berth_options *options, const char *path, berth_error **err);
berth_result berth_options_load_string(berth_options *options, const char *toml, const char *origin,
                                  berth_error **err);
berth_result berth_options_set(berth_options *options, const char *key, const char *value,
                          berth_error **err);
