/* The rest of the catalogue (berth.h, API 1.7 block): a server marked for data migration, and
   locate's why. Both out-structs get a constructor that fills in struct_size; the string lists
   of berth_placement_why are read through accessors, valid until the next berth_locate_why on
   the calling thread, so the wrappers copy them at once. */

#if defined(SWIGPYTHON)
/* Goes to the leader like berth_engine_server_remove; berth_locate_why keeps the GIL, as its
   strings belong to the calling thread until its next call and are copied under it. */
BERTH_PY_NOGIL(berth_engine_server_migrate)
#endif

%immutable berth_server_migration::struct_size;
%extend berth_server_migration {
  berth_server_migration() {
    berth_server_migration *m = (berth_server_migration *)calloc(1, sizeof *m);
    if (m) m->struct_size = (uint32_t)sizeof *m;
    return m;
  }
  ~berth_server_migration() { free($self); }
}

berth_result berth_engine_server_migrate(berth_engine *engine, const char *server_id, int32_t mark, int32_t check_only,
                                         berth_server_migration *out, berth_error **err);

%immutable berth_placement_why::struct_size;
%immutable berth_placement_why::detail;
%immutable berth_placement_why::rule;
%immutable berth_placement_why::rules_note;
%ignore berth_placement_why::allowed;
%ignore berth_placement_why::preferred;
%extend berth_placement_why {
  berth_placement_why() {
    berth_placement_why *w = (berth_placement_why *)calloc(1, sizeof *w);
    if (w) w->struct_size = (uint32_t)sizeof *w;
    return w;
  }
  ~berth_placement_why() { free($self); }
  /* Allowed server i (< allowed_count); NULL past the end. */
  const char *allowed_server(uint32_t i) { return i < $self->allowed_count ? $self->allowed[i] : NULL; }
  /* Preferred server i (< preferred_count); NULL past the end. */
  const char *preferred_server(uint32_t i) { return i < $self->preferred_count ? $self->preferred[i] : NULL; }
}

berth_result berth_locate_why(berth_engine *engine, const char *stream, size_t stream_len, berth_placement_why *out,
                              berth_error **err);
