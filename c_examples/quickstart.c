/* Three observations through c_examples/quickstart.json: one archived, two rejected.
 * Usage: quickstart MANIFEST [ROOT]   (ROOT: where {}/obs.jsonl goes) */
#include <messageapi.h>
#include <stdio.h>

int main(int argc, char **argv) {
    mapi_session *session;
    mapi_request *request;
    mapi_record *r;
    mapi_response *response;
    if (mapi_session_open(argc > 1 ? argv[1] : "quickstart.json", argc > 2 ? argv[2] : NULL, &session) != MAPI_OK) {
        char msg[512];
        mapi_last_error(msg, sizeof msg); /* names the file and the JSON location */
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    mapi_request_new(session, &request);
    const char *stations[] = {"KILX", "KORD", NULL};
    const double temps[] = {21.5, -3.0, 10.0};
    for (int i = 0; i < 3; i++) {
        mapi_request_add_record(request, &r);
        if (stations[i]) mapi_record_set_string(r, "station", stations[i]);
        mapi_record_set_double(r, "temp", temps[i]);
        mapi_record_set_condition_double(r, "warm", 0.0); /* this record: temp > 0 */
    }
    mapi_request_submit(request, &response); /* returns at once */
    mapi_response_wait(response, -1);
    printf("archived: %zu\n", mapi_response_record_count(response));
    for (size_t i = 0; i < mapi_response_rejection_count(response); i++)
        printf("rejected: %s\n", mapi_response_rejection_reason(response, i, 0));
    mapi_response_free(response);
    mapi_request_free(request);
    mapi_session_free(session);
    return 0;
}
