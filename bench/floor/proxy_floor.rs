//! The floor under glassgate's HTTP_PROXY path: the same stack (tokio with one worker thread,
//! hyper's HTTP/1.1 server, hyper-util's pooled client) forwarding every request to one
//! upstream and passing its status and body back, with nothing else: no routing, authorizer,
//! trace, diagnosis or log. `bench/proxy.py` runs it beside glassgate and nginx, so the gap
//! between glassgate and this floor is the pipeline's own cost and the gap between this floor
//! and nginx is the stack's.
//!
//! `reqwest` as a third argument sends through reqwest's client instead (which wraps
//! hyper-util's), to show what that layer costs; glassgate used it until the measurement.
//!
//! Usage: proxy-floor PORT UPSTREAM_URL [hyper|reqwest]

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(upstream)) = (args.next(), args.next()) else {
        eprintln!("usage: proxy-floor PORT UPSTREAM_URL");
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("PORT is a number");
    let direct = args.next().as_deref() != Some("reqwest");
    // FLOOR_RUNTIME=current: tokio's current-thread scheduler instead of the multi-thread one
    // with one worker that `glassgate serve --threads 1` runs.
    let runtime = if std::env::var("FLOOR_RUNTIME").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
    }
    .expect("a tokio runtime");
    runtime.block_on(serve(port, upstream, direct));
}

async fn serve(port: u16, upstream: String, direct: bool) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()
        .expect("a reqwest client");
    let direct_client = direct.then(|| {
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build_http::<Full<Bytes>>()
    });
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .expect("the port is free");
    println!(
        "Listening on http://127.0.0.1:{}",
        listener.local_addr().expect("bound").port()
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let client = client.clone();
        let upstream = upstream.clone();
        let direct_client = direct_client.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let client = client.clone();
                let direct_client = direct_client.clone();
                let url = format!("{upstream}{}", req.uri().path());
                async move {
                    let method = req.method().clone();
                    let body = req.into_body().collect().await?.to_bytes();
                    if let Some(direct) = direct_client {
                        let forwarded = Request::builder()
                            .method(method)
                            .uri(&url)
                            .body(Full::new(body))
                            .expect("a valid request");
                        let answer = match direct.request(forwarded).await {
                            Ok(resp) => {
                                let status = resp.status();
                                let bytes = resp.into_body().collect().await?.to_bytes();
                                Response::builder().status(status).body(Full::new(bytes))
                            }
                            Err(_) => Response::builder()
                                .status(502)
                                .body(Full::new(Bytes::new())),
                        };
                        return Ok::<_, hyper::Error>(answer.expect("a valid response"));
                    }
                    let answer = match client.request(method, &url).body(body).send().await {
                        Ok(resp) => {
                            let status = resp.status();
                            let bytes = resp.bytes().await.unwrap_or_default();
                            Response::builder().status(status).body(Full::new(bytes))
                        }
                        Err(_) => Response::builder()
                            .status(502)
                            .body(Full::new(Bytes::new())),
                    };
                    Ok::<_, hyper::Error>(answer.expect("a valid response"))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
