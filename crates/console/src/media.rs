//! `GET /console/media/…`: recordings and crawl prompts for the audio
//! players, served by the API's own media handler (range requests, the
//! tenant's own `domain_<id>` folder only) for the signed-in tenant.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::Response;

use crate::Console;
use crate::error::ConsoleError;
use crate::session::Session;

pub(crate) async fn serve(
    State(console): State<Console>,
    session: Session,
    Path(path): Path<String>,
    request: Request<Body>,
) -> Result<Response, ConsoleError> {
    let response = voxide_api::media::serve(State(console.app.clone()), session.caller(), Path(path), request).await?;
    Ok(response)
}
