/*
 * add-header as an Envoy dynamic module (envoy.extensions.filters.http.dynamic_modules): the native
 * ceiling of bench:envoy. On every response it adds `hello: <filter_config>`, the same work as this
 * SDK's examples/add-header; every other event continues untouched.
 *
 * Written against the dynamic-modules C ABI of Envoy 1.40 (source/extensions/dynamic_modules/abi),
 * declaring only what it uses: Envoy's SDKs for it are not served by the package registries here.
 * Opaque pointers are void*, the status enums' Continue is their first value (0), and header maps
 * are addressed by the ABI's header-type enum (request headers 0, request trailers 1, response
 * headers 2, response trailers 3).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { const char *ptr; size_t length; } envoy_buffer;   /* owned by Envoy */
typedef struct { const char *ptr; size_t length; } module_buffer;  /* owned by the module */

enum { REQUEST_HEADERS = 0, RESPONSE_HEADERS = 2 };
enum { CONTINUE = 0 };

extern bool envoy_dynamic_module_callback_http_add_header(void *filter_envoy_ptr, int header_type, module_buffer key, module_buffer value);

typedef struct { char *value; size_t length; } config;

/* Envoy only logs a warning when this differs from its own ABI version string. */
const char *envoy_dynamic_module_on_program_init(void) { return "proxy-wasm-as-bench-add-header"; }

void *envoy_dynamic_module_on_http_filter_config_new(void *config_envoy_ptr, envoy_buffer name, envoy_buffer data) {
  (void)config_envoy_ptr;
  if (name.length != 10 || memcmp(name.ptr, "add_header", 10) != 0) return NULL;
  config *c = malloc(sizeof(config));
  if (!c) return NULL;
  const char *v = data.length ? data.ptr : "world!";
  c->length = data.length ? data.length : 6;
  c->value = malloc(c->length);
  if (!c->value) { free(c); return NULL; }
  memcpy(c->value, v, c->length);
  return c;
}

void envoy_dynamic_module_on_http_filter_config_destroy(void *config_module_ptr) {
  config *c = config_module_ptr;
  free(c->value);
  free(c);
}

/* The per-stream state is the configuration itself: nothing is allocated per request. */
void *envoy_dynamic_module_on_http_filter_new(void *config_module_ptr, void *filter_envoy_ptr) {
  (void)filter_envoy_ptr;
  return config_module_ptr;
}

int envoy_dynamic_module_on_http_filter_response_headers(void *filter_envoy_ptr, void *filter_module_ptr, bool end_of_stream) {
  (void)end_of_stream;
  const config *c = filter_module_ptr;
  envoy_dynamic_module_callback_http_add_header(filter_envoy_ptr, RESPONSE_HEADERS, (module_buffer){"hello", 5}, (module_buffer){c->value, c->length});
  return CONTINUE;
}

int envoy_dynamic_module_on_http_filter_request_headers(void *e, void *m, bool eos) { (void)e; (void)m; (void)eos; return CONTINUE; }
int envoy_dynamic_module_on_http_filter_request_body(void *e, void *m, bool eos) { (void)e; (void)m; (void)eos; return CONTINUE; }
int envoy_dynamic_module_on_http_filter_request_trailers(void *e, void *m) { (void)e; (void)m; return CONTINUE; }
int envoy_dynamic_module_on_http_filter_response_body(void *e, void *m, bool eos) { (void)e; (void)m; (void)eos; return CONTINUE; }
int envoy_dynamic_module_on_http_filter_response_trailers(void *e, void *m) { (void)e; (void)m; return CONTINUE; }
void envoy_dynamic_module_on_http_filter_stream_complete(void *e, void *m) { (void)e; (void)m; }
void envoy_dynamic_module_on_http_filter_destroy(void *m) { (void)m; }

/* Events this filter never causes (callouts, streams, scheduling, watermarks): required symbols. */
void envoy_dynamic_module_on_http_filter_http_callout_done(void *e, void *m, uint64_t id, int result, void *headers, size_t headers_size, void *chunks, size_t chunks_size) {
  (void)e; (void)m; (void)id; (void)result; (void)headers; (void)headers_size; (void)chunks; (void)chunks_size;
}
void envoy_dynamic_module_on_http_filter_http_stream_headers(void *e, void *m, uint64_t id, void *headers, size_t n, bool end) { (void)e; (void)m; (void)id; (void)headers; (void)n; (void)end; }
void envoy_dynamic_module_on_http_filter_http_stream_data(void *e, void *m, uint64_t id, const void *data, size_t n, bool end) { (void)e; (void)m; (void)id; (void)data; (void)n; (void)end; }
void envoy_dynamic_module_on_http_filter_http_stream_trailers(void *e, void *m, uint64_t id, void *trailers, size_t n) { (void)e; (void)m; (void)id; (void)trailers; (void)n; }
void envoy_dynamic_module_on_http_filter_http_stream_complete(void *e, void *m, uint64_t id) { (void)e; (void)m; (void)id; }
void envoy_dynamic_module_on_http_filter_http_stream_reset(void *e, void *m, uint64_t id, int reason) { (void)e; (void)m; (void)id; (void)reason; }
void envoy_dynamic_module_on_http_filter_scheduled(void *e, void *m, uint64_t id) { (void)e; (void)m; (void)id; }
void envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark(void *e, void *m) { (void)e; (void)m; }
void envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark(void *e, void *m) { (void)e; (void)m; }
